import { describe, expect, it } from "vitest";
import type { DocumentEdge, DocumentNode, TopologyDocument } from "../types/document";
import type { VersionDiff } from "../types/diff";
import { REMOVED_EDGE, diffHighlight, drawnDiff } from "./version-diff";

const node = (id: string, x = 0): DocumentNode => ({ id, type: "stream.filter", params: {}, position: { x, y: 0 } });
const edge = (id: string, source: string, target: string): DocumentEdge => ({
  id,
  source,
  source_port: "out",
  target,
  target_port: "in",
});
const doc = (nodes: DocumentNode[], edges: DocumentEdge[]): TopologyDocument =>
  ({ schema_version: 1, name: "t", nodes, edges }) as unknown as TopologyDocument;

// v1: a → b → c; v2: a → d, c kept but b removed and a's filter changed.
const v1 = doc([node("a"), node("b", 100), node("c", 200)], [edge("e1", "a", "b"), edge("e2", "b", "c")]);
const v2 = doc([node("a"), node("c", 200), node("d", 300)], [edge("e1", "a", "d"), edge("e9", "a", "c")]);
const diff: VersionDiff = {
  from_version: 1,
  to_version: 2,
  added_nodes: [node("d", 300)],
  removed_nodes: ["b"],
  changed_nodes: [{ id: "a", changes: [{ field: "params.predicate", before: "x", after: "y" }] }],
  moved_nodes: [],
  // the server compares edges by their ports: e1 now runs a → d, so it is a new connection
  added_edges: [edge("e1", "a", "d"), edge("e9", "a", "c")],
  removed_edges: [edge("e1", "a", "b"), edge("e2", "b", "c")],
  settings: [],
};

describe("drawnDiff", () => {
  const drawn = drawnDiff(v1, v2, diff);

  it("draws the newer graph plus the removed nodes where the older version had them", () => {
    expect(drawn.document.nodes.map((n) => n.id)).toEqual(["a", "c", "d", "b"]);
    expect(drawn.document.nodes.find((n) => n.id === "b")?.position).toEqual({ x: 100, y: 0 });
    expect(drawn.nodes).toEqual({ a: "changed", b: "removed", d: "added" });
  });

  it("keeps removed edges apart from newer edges that reuse their id", () => {
    const ids = drawn.document.edges.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(["e1", "e9", `${REMOVED_EDGE}e1`, `${REMOVED_EDGE}e2`]);
    expect(drawn.edges).toEqual({ e1: "added", e9: "added", [`${REMOVED_EDGE}e1`]: "removed", [`${REMOVED_EDGE}e2`]: "removed" });
    const removed = drawn.document.edges.find((e) => e.id === `${REMOVED_EDGE}e1`);
    expect([removed?.source, removed?.target]).toEqual(["a", "b"]);
  });

  it("leaves both documents as they were", () => {
    expect(v2.nodes).toHaveLength(3);
    expect(v2.edges.map((e) => e.id)).toEqual(["e1", "e9"]);
  });
});

describe("diffHighlight", () => {
  it("marks added and changed nodes only (the editor's canvas has no removed ones)", () => {
    expect(diffHighlight(diff)).toEqual({ d: "added", a: "changed" });
  });
});
