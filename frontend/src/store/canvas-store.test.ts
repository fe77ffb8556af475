import { describe, expect, it } from "vitest";
import { indexCatalog } from "../lib/catalog";
import { flowToDocument } from "../lib/graph";
import type { CatalogEntry } from "../types/catalog";
import type { TopologyDocument } from "../types/document";
import { createCanvasStore } from "./canvas-store";

const port = (name: string, kind = "stream") => ({ name, kind });
const entries: CatalogEntry[] = [
  { type: "source.stream", category: "sources", title: "Stream", description: "", inputs: [], outputs: [port("out")], params_schema: { type: "object", properties: {} } },
  { type: "stream.filter", category: "stateless", title: "Filter", description: "", inputs: [port("in")], outputs: [port("out")], params_schema: { type: "object", properties: {} } },
  {
    type: "stream.split",
    category: "stateless",
    title: "Split",
    description: "",
    inputs: [port("in")],
    outputs: [],
    params_schema: {
      type: "object",
      properties: { branches: { type: "array", "x-output-ports": { kind: "stream", name_from: "name" } } },
    },
  },
];
const catalog = indexCatalog(entries);
const base: TopologyDocument = { format_version: 1, name: "t", nodes: [], edges: [] };
const doc = (store: ReturnType<typeof createCanvasStore>) => flowToDocument(base, store.getState());

function storeWithTwo() {
  const store = createCanvasStore({ nodes: [], edges: [] }, catalog);
  store.getState().addNodes([
    { id: "lines", type: "source.stream", params: {}, position: { x: 0, y: 0 } },
    { id: "keep", type: "stream.filter", params: {}, position: { x: 200, y: 0 } },
  ]);
  return store;
}

describe("canvas store editing", () => {
  it("adds, connects and removes with the edges of removed nodes, each undoable", () => {
    const store = storeWithTwo();
    store.getState().addEdge({ id: "e1", source: "lines", source_port: "out", target: "keep", target_port: "in" });
    expect(doc(store).edges).toHaveLength(1);
    store.getState().selectNode("lines");
    store.getState().removeSelected();
    expect(doc(store).nodes.map((n) => n.id)).toEqual(["keep"]);
    expect(doc(store).edges).toEqual([]);
    store.getState().undo();
    expect(doc(store).nodes.map((n) => n.id)).toEqual(["lines", "keep"]);
    expect(doc(store).edges.map((e) => e.id)).toEqual(["e1"]);
    store.getState().undo();
    expect(doc(store).edges).toEqual([]);
    store.getState().redo();
    store.getState().redo();
    expect(doc(store).nodes.map((n) => n.id)).toEqual(["keep"]);
  });

  it("makes a whole drag one undo step", () => {
    const store = storeWithTwo();
    const move = (x: number, dragging: boolean) =>
      store.getState().onNodesChange([{ type: "position", id: "keep", position: { x, y: 0 }, dragging }]);
    move(210, true);
    move(260, true);
    move(300, false);
    expect(doc(store).nodes[1]!.position).toEqual({ x: 300, y: 0 });
    store.getState().undo();
    expect(doc(store).nodes[1]!.position).toEqual({ x: 200, y: 0 });
  });

  it("rebuilds a split's output ports from its params", () => {
    const store = createCanvasStore({ nodes: [], edges: [] }, catalog);
    store.getState().addNodes([{ id: "split", type: "stream.split", params: { branches: [] } }]);
    store.getState().updateNode("split", { params: { branches: [{ name: "big" }, { name: "small" }] } });
    const node = store.getState().nodes[0]!;
    expect(node.data.outputs.map((p) => p.name)).toEqual(["big", "small"]);
    expect(doc(store).nodes[0]!.params).toEqual({ branches: [{ name: "big" }, { name: "small" }] });
  });

  it("shows validation problems as counts on nodes", () => {
    const store = storeWithTwo();
    store.getState().setProblems([
      { node_id: "keep", path: "params.predicate", severity: "error", message: "required" },
      { node_id: "keep", path: "", severity: "warning", message: "unused" },
    ]);
    const keep = store.getState().nodes.find((n) => n.id === "keep")!;
    expect([keep.data.errors, keep.data.warnings]).toEqual([1, 1]);
  });
});
