// Payloads of the connection and topic endpoints (docs/internals.md "Studio HTTP API").

export type Role = "viewer" | "editor" | "operator" | "admin";

export interface WorkspaceWithRole {
  id: number;
  name: string;
  slug: string;
  description: string;
  role: Role | string;
  created_at: string;
}

/** GET /api/me/ in full (src/types/api.ts's Me holds only the username). */
export interface MeWithWorkspaces {
  username: string;
  is_superuser: boolean;
  workspaces: WorkspaceWithRole[];
}

export interface Connection {
  id: number;
  workspace: number;
  name: string;
  bootstrap_servers: string;
  security_protocol: string;
  sasl_mechanism: string;
  username: string;
  password_set: boolean;
  ssl_key_set: boolean;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

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
