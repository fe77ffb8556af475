// GET /api/audit/ (docs/internals.md "Studio HTTP API").

export interface AuditEvent {
  id: number;
  workspace: number | null;
  /** ISO-8601 time. */
  at: string;
  actor: string | null;
  /** e.g. "topology.create", "deployment.reset.done", "topic.create". */
  verb: string;
  /** The model name: "topology", "deployment", "connection", ... */
  object_type: string;
  object_id: string;
  data: Record<string, unknown>;
}

export interface AuditFilter {
  workspace?: number;
  object_type?: string;
  object_id?: string;
  actor?: string;
  verb?: string;
}

export interface AuditPage {
  count: number;
  next: string | null;
  previous: string | null;
  results: AuditEvent[];
}
