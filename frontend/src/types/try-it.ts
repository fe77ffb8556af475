// POST /api/try/ (the editor's "Try it" test bench); see docs/internals.md.
import type { Problem, TopologyDocument } from "./document";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface TryHeader {
  key: string;
  value: string;
}

/** A record piped to a source topic; key and value go through the source's serdes. */
export interface TryRecordInput {
  /** Left out: the document's first source topic. */
  topic?: string;
  key?: JsonValue;
  value?: JsonValue;
  /** Milliseconds; left out: the test driver's wall-clock time. Stream time follows it. */
  timestamp?: number;
  headers?: TryHeader[];
}

export type TryStep = { record: TryRecordInput } | { advance_wall_clock_ms: number };

export type TryOnError = "stop" | "continue";

export interface TryRequest {
  workspace: number;
  document: TopologyDocument;
  steps: TryStep[];
  on_error?: TryOnError;
  initial_wall_clock_ms?: number;
}

export interface TriedRecord {
  key: JsonValue;
  value: JsonValue;
  timestamp: number;
  /** Index of the step that caused it (null: while the driver started). */
  step: number | null;
  /** The engine processor that passed it on (a split's branch, a repartition source). */
  processor: string;
  /** "key" / "value" when that part is shown as a preview of its JSON. */
  truncated: string[];
}

export interface TriedNode {
  records: TriedRecord[];
  /** More records went through than the cap. */
  truncated: boolean;
  /** A node without a processor of its own shows its input's records: that node's id. */
  same_as: string | null;
}

export interface TriedTopic {
  records: TriedRecord[];
  truncated: boolean;
}

export interface TrialError {
  step: number | null;
  node_id: string | null;
  processor: string | null;
  /** DeserializationError | ProcessingError | ProductionError | CpuLimit | ... */
  kind: string;
  message: string;
  /** failed: the run stopped there; continued: the record was skipped. */
  decision: "continued" | "failed";
}

export interface TryResult {
  nodes: Record<string, TriedNode>;
  outputs: Record<string, TriedTopic>;
  errors: TrialError[];
  /** Validation warnings of the document (errors make the request a 400). */
  problems: Problem[];
  steps_run: number;
  /** -1 before any record. */
  stream_time_ms: number;
  wall_clock_ms: number;
  limits: { steps: number; records_per_node: number; records_per_topic: number; cpu_s: number };
}

/** An item of GET /api/connections/{id}/topics/{name}/records/. */
export interface BrowsedRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: JsonValue;
  value: JsonValue;
  key_error: string | null;
  value_error: string | null;
  headers: Array<{ key: string; value: string | null; encoding?: string }>;
}

export interface BrowsedRecords {
  records: BrowsedRecord[];
  next_offsets: Record<string, number>;
}
