// Payloads the dashboard reads beyond src/types/api.ts and src/types/metrics.ts; see
// docs/internals.md ("Studio HTTP API", "Engine ↔ studio").
import type { Deployment, OnError } from "./api";
import type { Problem } from "./document";

export type { Role } from "./api";
/** GET /api/me/ (one type with src/types/api.ts' Me). */
export type { Me as Account, WorkspaceSummary as WorkspaceMembership } from "./api";

/** The deployment as the API answers it (one type with src/types/api.ts' Deployment). */
export type DeploymentRecord = Deployment;

/** GET /api/connections/?workspace= (secrets are never sent back). */
export interface KafkaConnection {
  id: number;
  workspace: number;
  name: string;
  bootstrap_servers: string;
  security_protocol: string;
  sasl_mechanism: string;
  username: string;
  password_set: boolean;
  ssl_key_set: boolean;
  /** Extra librdkafka settings, as the allow-list accepted them. */
  client_settings: Record<string, string>;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export type ProcessingGuarantee = "at_least_once" | "exactly_once_v2";

/** POST /api/deployments/ */
export interface NewDeploymentBody {
  version: number;
  connection?: number;
  application_id?: string;
  processing_guarantee: ProcessingGuarantee;
  replicas: number;
  on_error: OnError;
  /** Only with on_error "dead_letter"; left out: "<application.id>-dlq". */
  dead_letter_topic?: string;
}

/** The API's error body. */
export interface ProblemsBody {
  message: string;
  problems: Problem[];
}

/** One series of GET /api/deployments/{id}/metrics/: [t ms, value or null] per step. */
export interface HistorySeries {
  series: string;
  points: Array<[number, number | null]>;
}

type MetricValues = Record<string, number | null>;

/**
 * Kafka Streams' metric groups that the engine adds to every snapshot beside the keys
 * of MetricsSnapshot: per thread, per task, per task and store.
 */
export interface EngineMetricGroups {
  threads?: Record<string, MetricValues>;
  task_metrics?: Record<string, MetricValues>;
  stores?: Record<string, Record<string, MetricValues>>;
}
