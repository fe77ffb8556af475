// Payloads of the reprocessing endpoints and of the fields they need on a deployment;
// see docs/internals.md "Reprocessing" and the "Studio HTTP API" table.
import type { Deployment, Page } from "./api";

/** A deployment with the fields reprocessing reads (the API always sends them). */
/** The deployment with the fields reprocessing reads (all of them, now in Deployment). */
export type ReprocessDeployment = Deployment;

export type { Role as WorkspaceRole } from "./api";

/** Where a reset moves the offsets, or where a candidate starts (the request's form). */
export type StartPoint = "earliest" | { datetime: string } | { duration: string | number };

export interface ResetBody {
  dry_run: boolean;
  to: StartPoint;
  output_topic?: Record<string, string>;
}

export interface SideBySideBody {
  version: number;
  from: StartPoint;
  application_id?: string;
}

/** The target as the backend resolved it. */
export type ResolvedTarget =
  | { kind: "earliest" }
  | { kind: "timestamp"; timestamp_ms: number; datetime?: string; duration_s?: number };

export interface PlannedPartition {
  topic: string;
  partition: number;
  /** The group's committed offset now; null: none. */
  committed: number | null;
  /** Where the reset moves it. */
  target: number;
}

export interface OutputRedirect {
  sink_topic: string;
  current: string;
  new: string;
  /** False: the reset creates it with the current topic's partition count. */
  exists: boolean;
}

export interface ResetPlan {
  deployment: number;
  application_id: string;
  group: string;
  dry_run: boolean;
  target: ResolvedTarget;
  input_partitions: PlannedPartition[];
  internal_topics: string[];
  stores: string[];
  checkpoint_key_pattern: string;
  checkpoint_keys: number;
  output_redirects: OutputRedirect[];
}

export type OperationState = "pending" | "running" | "done" | "failed";

export interface Operation {
  id: number;
  deployment: number;
  kind: "reset" | "discard";
  state: OperationState;
  message: string;
  request: Record<string, unknown>;
  result: Record<string, unknown>;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committed: number | null;
  has_committed: boolean;
  start_offset: number;
  end_offset: number;
  lag: number;
}

/** GET /api/deployments/{id}/lag/ */
export interface DeploymentLag {
  deployment: number;
  application_id: string;
  group: string;
  topics: string[];
  not_created: string[];
  partitions: PartitionLag[];
  total_lag: number;
  partitions_without_commit: number;
}

export interface CatchUpProgress {
  partitions: number;
  partitions_without_commit: number;
  committed_total: number;
  end_total: number;
  lag: number;
  caught_up: boolean;
}

export interface ComparisonSide {
  deployment: ReprocessDeployment;
  lag: DeploymentLag | null;
  progress: CatchUpProgress | null;
  error: string | null;
}

export interface ComparisonExample {
  key: unknown;
  live: unknown;
  candidate: unknown;
}

export type ComparisonBucket = "equal" | "differing" | "only_live" | "only_candidate";

export interface TopicComparison {
  sink_topic: string;
  live_topic: string;
  candidate_topic: string;
  live_records: number;
  candidate_records: number;
  equal: number;
  differing: number;
  only_live: number;
  only_candidate: number;
  examples: Partial<Record<ComparisonBucket, ComparisonExample[]>>;
}

/** GET /api/deployments/{id}/comparison/ */
export interface Comparison {
  live: ComparisonSide;
  candidate: ComparisonSide;
  limit: number;
  topics: TopicComparison[];
  unpaired: string[];
}

export interface VersionListItem {
  id: number;
  number: number;
  message: string;
  created_at: string;
  created_by: string | null;
}

export type VersionPage = Page<VersionListItem>;
