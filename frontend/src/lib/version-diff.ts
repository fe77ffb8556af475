// A comparison of two versions drawn on one canvas: the newer version's graph, with the
// nodes and connections the older one had and the newer lost drawn where they were.
// Which nodes and edges changed comes from the server's diff (GET .../diff/); the
// documents only give the geometry.
import type { TopologyDocument } from "../types/document";
import type { VersionDiff } from "../types/diff";

export type DiffMark = "added" | "changed" | "removed";

export interface DrawnDiff {
  /** The newer document plus the removed nodes and edges (removed edges get new ids). */
  document: TopologyDocument;
  nodes: Record<string, DiffMark>;
  edges: Record<string, "added" | "removed">;
}

/** Prefix of the ids given to removed edges, which may share an id with a newer edge. */
export const REMOVED_EDGE = "removed:";

const idOf = (n: { id: string } | string) => (typeof n === "string" ? n : n.id);

/** Added and changed nodes of a comparison, by id, for the editor's canvas to mark. */
export function diffHighlight(d: VersionDiff): Record<string, "added" | "changed"> {
  const marks: Record<string, "added" | "changed"> = {};
  for (const n of d.added_nodes) marks[idOf(n)] = "added";
  for (const c of d.changed_nodes) marks[c.id] = "changed";
  return marks;
}

export function drawnDiff(older: TopologyDocument, newer: TopologyDocument, d: VersionDiff): DrawnDiff {
  const removedIds = new Set(d.removed_nodes.map(idOf));
  const removedNodes = older.nodes.filter((n) => removedIds.has(n.id));
  const removedEdges = d.removed_edges.map((e) => ({ ...e, id: `${REMOVED_EDGE}${e.id}` }));
  const nodes: Record<string, DiffMark> = { ...diffHighlight(d) };
  for (const id of removedIds) nodes[id] = "removed";
  const edges: Record<string, "added" | "removed"> = {};
  for (const e of d.added_edges) edges[e.id] = "added";
  for (const e of removedEdges) edges[e.id] = "removed";
  return {
    document: { ...newer, nodes: [...newer.nodes, ...removedNodes], edges: [...newer.edges, ...removedEdges] },
    nodes,
    edges,
  };
}
