// The engine's metrics snapshot and the deployment websocket messages;
// see docs/internals.md "Engine ↔ studio" and the websocket section.
import type { Deployment } from "./api";

export type AppState =
  | "CREATED"
  | "REBALANCING"
  | "RUNNING"
  | "PENDING_SHUTDOWN"
  | "NOT_RUNNING"
  | "ERROR";

export interface PartitionLag {
  topic: string;
  partition: number;
  committed: number | null;
  end_offset: number | null;
  lag: number | null;
}

export interface OutputSample {
  node: string;
  topic: string;
  key: unknown;
  value: unknown;
  timestamp: number;
}

export interface ProcessingErrorReport {
  node: string;
  topic: string;
  partition: number;
  offset: number;
  message: string;
  timestamp: number;
}

export interface MetricsSnapshot {
  application_id: string;
  timestamp: number;
  state: AppState | string;
  tasks: string[];
  nodes: Record<string, Record<string, number>>;
  partitions: PartitionLag[];
  samples: OutputSample[];
  errors: ProcessingErrorReport[];
  totals: Record<string, number>;
}

export type SocketMessage =
  | { type: "snapshot"; deployment: Deployment; metrics: Record<string, MetricsSnapshot> }
  | { type: "metrics"; replica: string; metrics: MetricsSnapshot }
  | { type: "deployment"; deployment: Deployment };
