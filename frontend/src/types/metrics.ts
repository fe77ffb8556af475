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

/** The app's view of its Kafka brokers (absent from engines older than this field). */
export interface BrokerReachability {
  /** null: not known yet (the client has not connected or reported). */
  reachable: boolean | null;
  /** Epoch ms of the last change. */
  since: number | null;
  /** librdkafka's last connection error while unreachable. */
  detail: string;
}

export interface MetricsSnapshot {
  application_id: string;
  timestamp: number;
  state: AppState | string;
  /** When the app entered `state` (epoch ms); absent from engines before it was added. */
  state_since?: number | null;
  tasks: string[];
  nodes: Record<string, Record<string, number | null>>;
  partitions: PartitionLag[];
  samples: OutputSample[];
  errors: ProcessingErrorReport[];
  totals: Record<string, number>;
  broker?: BrokerReachability | null;
}

/** A record as a node passed it on (the websocket's "records" frames). */
export interface LiveSample {
  replica: string | number;
  /** The processor's name (a document node id, or one of its processors: `<id>-…`). */
  node: string;
  task: string | null;
  /** The input record being processed; null during a punctuation. */
  topic: string | null;
  partition: number | null;
  offset: number | null;
  timestamp: number;
  key: unknown;
  value: unknown;
  truncated?: string[];
}

/** A record an exception handler decided on (the websocket's "records" frames). */
export interface RecordError extends LiveSample {
  kind: string | null;
  type: string | null;
  message: string;
  /** "continued" (log and continue), "dlq" (dead-lettered, then continued) or "failed". */
  decision: "continued" | "dlq" | "failed" | string | null;
  dead_letter_topic: string | null;
  at: number;
}

export type SocketMessage =
  | {
      type: "snapshot";
      deployment: Deployment;
      metrics: Record<string, MetricsSnapshot>;
      /** processor -> its latest samples, newest first. */
      samples: Record<string, LiveSample[]>;
      /** The latest record errors, newest first. */
      errors: RecordError[];
    }
  | { type: "metrics"; replica: string; metrics: MetricsSnapshot }
  | { type: "deployment"; deployment: Deployment }
  | {
      type: "records";
      /** What one replica gathered in about half a second, oldest first. */
      samples: LiveSample[];
      errors: RecordError[];
    }
  /** One record each, from replicas of the previous release (now "records"). */
  | { type: "sample"; sample: LiveSample }
  | { type: "error"; error: RecordError };
