// Payloads of the connection and topic endpoints (docs/internals.md "Studio HTTP API").

export type { Role, WorkspaceSummary as WorkspaceWithRole, Me as MeWithWorkspaces } from "./api";
/** GET /api/connections/ (one type with src/types/dashboard.ts' KafkaConnection). */
export type { KafkaConnection as Connection } from "./dashboard";

export interface PartitionOffsets {
  partition: number;
  /** The first offset still in the log. */
  low: number;
  /** The offset the next record will get (the end). */
  high: number;
}

export interface TopicInfo {
  name: string;
  internal: boolean;
  partitions: PartitionOffsets[];
}

export interface PagedList<T> {
  count: number;
  next?: string | null;
  previous?: string | null;
  results: T[];
}

export const SERDES = ["string", "json", "long", "integer", "double", "bytes"] as const;
export type SerdeName = (typeof SERDES)[number];

export interface RecordHeader {
  key: string;
  value: string | null;
  encoding: "utf-8" | "base64" | string;
}

export interface BrowsedRecord {
  partition: number;
  offset: number;
  timestamp: number | null;
  key: unknown;
  value: unknown;
  key_error: string | null;
  value_error: string | null;
  headers: RecordHeader[];
}

export interface RecordsPage {
  records: BrowsedRecord[];
  /** Partition (as text) → the offset to read next. */
  next_offsets: Record<string, number>;
}

/** The query string of GET .../records/: an offset needs a partition; offset or timestamp, not both. */
export interface RecordsQuery {
  partition?: number;
  offset?: number;
  timestamp?: number;
  limit: number;
  key_serde: SerdeName;
  value_serde: SerdeName;
}

export interface NewRecord {
  key: unknown;
  value: unknown;
  key_serde: SerdeName;
  value_serde: SerdeName;
  partition?: number;
  headers: { key: string; value: string }[];
}

export interface ProducedRecord {
  partition: number;
  offset: number;
  timestamp: number;
}

export interface NewTopic {
  name: string;
  partitions?: number;
  replication_factor?: number;
  configs?: Record<string, string>;
}
