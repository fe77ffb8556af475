// Payloads of the studio HTTP API; see docs/internals.md "Studio HTTP API".
import type { Problem, TopologyDocument } from "./document";

export type Role = "viewer" | "editor" | "operator" | "admin";

export interface WorkspaceSummary {
  id: number;
  name: string;
  slug: string;
  description: string;
  role: Role;
  created_at: string;
}

/** GET /api/me/ */
export interface Me {
  username: string;
  is_superuser: boolean;
  workspaces: WorkspaceSummary[];
}

export interface Page<T> {
  count: number;
  results: T[];
}

export interface VersionSummary {
  id: number;
  number: number;
  created_at: string;
}

export interface TopologySummary {
  id: number;
  workspace?: number;
  name: string;
  description: string;
  latest_version: VersionSummary | null;
}

export interface VersionDetail extends VersionSummary {
  message: string;
  created_by: string | null;
  document: TopologyDocument;
  describe: string;
  problems: Problem[];
}

export interface TopologyDetail {
  id: number;
  workspace: number;
  name: string;
  description: string;
  latest_version: VersionDetail | null;
}

export type DesiredState = "running" | "stopped";
export type OnError = "fail" | "continue" | "dead_letter";
export type ObservedState = "starting" | "running" | "stopping" | "stopped" | "failed";

export interface Deployment {
  id: number;
  topology: number;
  version: number;
  version_number: number;
  application_id: string;
  processing_guarantee: string;
  replicas: number;
  /** What a record that cannot be read or processed does. */
  on_error: OnError;
  /** Where on_error "dead_letter" writes such records; "" otherwise. */
  dead_letter_topic: string;
  desired_state: DesiredState;
  observed_state: ObservedState;
  input_topics: string[];
  output_topics: string[];
  created_at: string;
  updated_at: string;
  last_error: string | null;
  workspace: number;
  connection: number;
  connection_name: string;
  generation: number;
  /** {sink topic in the document: topic this deployment writes}. */
  output_topic_map: Record<string, string>;
  /** False for a side-by-side candidate not yet promoted. */
  live: boolean;
  candidate_of: number | null;
  discarded_at: string | null;
}

export interface ApiErrorBody {
  message: string;
  problems?: Problem[];
}
