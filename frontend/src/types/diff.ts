// GET /api/topologies/{id}/diff/?from=&to= (runtime.spec.diff_documents).
import type { DocumentEdge, DocumentNode } from "./document";

export interface VersionDiff {
  from_version: number;
  to_version: number;
  added_nodes: DocumentNode[] | string[];
  removed_nodes: DocumentNode[] | string[];
  changed_nodes: Array<{ id: string; changes: Array<{ field: string; before: unknown; after: unknown }> }>;
  moved_nodes: Array<{ id: string; before: { x: number; y: number }; after: { x: number; y: number } }>;
  added_edges: DocumentEdge[];
  removed_edges: DocumentEdge[];
  settings: unknown;
}
