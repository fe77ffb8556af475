// The saved topology document (runtime.spec); see docs/internals.md "Topology documents".

export interface DocumentPosition {
  x: number;
  y: number;
}

export interface DocumentNode {
  id: string;
  type: string;
  label?: string;
  params: Record<string, unknown>;
  position?: DocumentPosition;
}

export interface DocumentEdge {
  id: string;
  source: string;
  source_port: string;
  target: string;
  target_port: string;
}

export interface TopologyDocument {
  format_version: number;
  name: string;
  description?: string;
  settings?: Record<string, unknown>;
  nodes: DocumentNode[];
  edges: DocumentEdge[];
}

export interface Problem {
  node_id: string | null;
  path: string;
  severity: "error" | "warning" | string;
  message: string;
}
