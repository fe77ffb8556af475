import { describe, expect, it } from "vitest";
import { indexCatalog } from "./catalog";
import { documentToFlow, flowToDocument } from "./graph";
import { catalogEntries, wordCountDocument } from "./test-fixtures";

const catalog = indexCatalog(catalogEntries);

describe("documentToFlow", () => {
  it("makes one canvas node per document node, typed by family", () => {
    const { nodes } = documentToFlow(wordCountDocument(), catalog);
    expect(nodes.map((n) => [n.id, n.type])).toEqual([
      ["lines", "source"],
      ["split", "stateless"],
      ["group", "aggregate"],
      ["counts", "aggregate"],
      ["changes", "stateless"],
      ["out", "sink"],
    ]);
  });

  it("fills family-specific fields from params", () => {
    const { nodes } = documentToFlow(wordCountDocument(), catalog);
    const byId = new Map(nodes.map((n) => [n.id, n.data]));
    const source = byId.get("lines")!;
    const sink = byId.get("out")!;
    const count = byId.get("counts")!;
    expect(source.family === "source" && source.topics).toEqual(["text-lines"]);
    expect(sink.family === "sink" && sink.topic).toBe("word-counts");
    expect(count.family === "aggregate" && count.store).toBe("counts");
  });

  it("takes title and ports from the catalog and falls back to the id as label", () => {
    const { nodes } = documentToFlow(wordCountDocument(), catalog);
    const changes = nodes.find((n) => n.id === "changes")!.data;
    expect(changes.label).toBe("changes");
    expect(changes.title).toBe("To stream");
    expect(changes.inputs).toEqual([{ name: "in", kind: "table" }]);
    expect(changes.known).toBe(true);
  });

  it("connects edges to port handles and remembers the source port kind", () => {
    const { edges } = documentToFlow(wordCountDocument(), catalog);
    expect(edges[2]).toMatchObject({
      id: "e3",
      source: "group",
      sourceHandle: "out",
      target: "counts",
      targetHandle: "in",
      data: { sourcePortKind: "grouped" },
    });
  });

  it("draws unknown types with the ports their edges use", () => {
    const doc = wordCountDocument();
    doc.nodes[1]!.type = "stream.made_up";
    const { nodes } = documentToFlow(doc, catalog);
    const split = nodes.find((n) => n.id === "split")!.data;
    expect(split.known).toBe(false);
    expect(split.title).toBe("stream.made_up");
    expect(split.inputs.map((p) => p.name)).toEqual(["in"]);
    expect(split.outputs.map((p) => p.name)).toEqual(["out"]);
  });

  it("counts validation problems per node", () => {
    const { nodes } = documentToFlow(wordCountDocument(), catalog, [
      { node_id: "split", path: "params.expression", severity: "error", message: "bad" },
      { node_id: "split", path: "label", severity: "warning", message: "meh" },
      { node_id: null, path: "", severity: "error", message: "global" },
    ]);
    const split = nodes.find((n) => n.id === "split")!.data;
    expect([split.errors, split.warnings]).toEqual([1, 1]);
    expect(nodes.find((n) => n.id === "lines")!.data.errors).toBe(0);
  });

  it("lays out documents whose nodes share a position", () => {
    const doc = wordCountDocument();
    for (const node of doc.nodes) node.position = { x: 0, y: 0 };
    const { nodes } = documentToFlow(doc, catalog);
    const spots = nodes.map((n) => `${n.position.x},${n.position.y}`);
    expect(new Set(spots).size).toBe(nodes.length);
    // The chain reads in flow order: top band first, left to right within a band.
    const readingOrder = [...nodes].sort((a, b) => a.position.y - b.position.y || a.position.x - b.position.x);
    expect(readingOrder.map((n) => n.id)).toEqual(doc.nodes.map((n) => n.id));
  });

  it("keeps saved positions when they are usable", () => {
    const { nodes } = documentToFlow(wordCountDocument(), catalog);
    expect(nodes[1]!.position).toEqual({ x: 250, y: 0 });
  });
});

describe("flowToDocument", () => {
  it("round-trips a document", () => {
    const doc = wordCountDocument();
    doc.nodes[4]!.label = "changes";
    expect(flowToDocument(doc, documentToFlow(doc, catalog))).toEqual(doc);
  });

  it("writes moved positions back, rounded", () => {
    const doc = wordCountDocument();
    const graph = documentToFlow(doc, catalog);
    graph.nodes[0]!.position = { x: 10.4, y: 20.6 };
    expect(flowToDocument(doc, graph).nodes[0]!.position).toEqual({ x: 10, y: 21 });
  });
});
