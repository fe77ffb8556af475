import { describe, expect, it } from "vitest";
import type { CatalogEntry } from "../types/catalog";
import type { DocumentEdge, DocumentNode } from "../types/document";
import {
  NODE_ID_PATTERN,
  compatibleEntries,
  copyFragment,
  defaultParams,
  idStem,
  newNode,
  paletteGroups,
  pasteFragment,
  uniqueId,
} from "./editing";

const entry = (type: string, category: string, title: string, inputs: string[], outputs: string[], extra: Partial<CatalogEntry> = {}): CatalogEntry => ({
  type,
  category,
  title,
  description: `${title} does things`,
  inputs: inputs.map((kind, i) => ({ name: i === 0 ? "in" : `in${i}`, kind })),
  outputs: outputs.map((kind) => ({ name: "out", kind })),
  params_schema: { type: "object", properties: {} },
  ...extra,
});

const catalog = [
  entry("source.stream", "sources", "Stream", [], ["stream"]),
  entry("stream.filter", "stateless", "Filter", ["stream"], ["stream"]),
  entry("stream.group_by_key", "grouping", "Group by key", ["stream"], ["grouped_stream"]),
  entry("grouped.count", "aggregation", "Count", ["grouped_stream"], ["table"], {
    params_schema: { type: "object", properties: { store: { type: "string" } } },
  }),
  entry("grouped.windowed_by", "windows", "Window", ["grouped_stream"], ["windowed_stream"], {
    params_schema: {
      type: "object",
      properties: { window: { type: "string", default: "tumbling" }, size_ms: { type: "integer" }, tags: { type: "array", default: ["a"] } },
    },
  }),
  entry("sink.topic", "sinks", "Topic", ["stream"], []),
];

describe("ids", () => {
  it("makes readable ids the schema accepts, numbering taken ones", () => {
    expect(idStem("grouped.windowed_by")).toBe("windowed-by");
    expect(uniqueId("count", new Set())).toBe("count");
    expect(uniqueId("count", new Set(["count", "count-2"]))).toBe("count-3");
    expect(uniqueId("  Über Count!", new Set())).toBe("ber-count-");
    for (const id of ["count", "ber-count-", uniqueId("", new Set())]) expect(id).toMatch(NODE_ID_PATTERN);
  });
});

describe("newNode", () => {
  it("starts from the schema's defaults, copied, with a fresh id", () => {
    const window = catalog[4]!;
    const a = newNode(window, { x: 10.4, y: 20.6 }, new Set(["windowed-by"]));
    expect(a).toEqual({
      id: "windowed-by-2",
      type: "grouped.windowed_by",
      label: "Window",
      params: { window: "tumbling", tags: ["a"] },
      position: { x: 10, y: 21 },
    });
    (a.params.tags as string[]).push("b");
    expect(window.params_schema.properties!.tags!.default).toEqual(["a"]);
    expect(defaultParams(undefined)).toEqual({});
  });
});

describe("copy and paste", () => {
  const nodes: DocumentNode[] = [
    { id: "lines", type: "source.stream", params: { topics: ["t"] }, position: { x: 0, y: 0 } },
    { id: "keep", type: "stream.filter", params: { predicate: "True" }, position: { x: 100, y: 0 } },
    { id: "out", type: "sink.topic", params: { topic: "o" }, position: { x: 200, y: 0 } },
  ];
  const edges: DocumentEdge[] = [
    { id: "e1", source: "lines", source_port: "out", target: "keep", target_port: "in" },
    { id: "e2", source: "keep", source_port: "out", target: "out", target_port: "in" },
  ];

  it("copies the chosen nodes and only the edges between them", () => {
    const fragment = copyFragment(nodes, edges, new Set(["keep", "out"]));
    expect(fragment.nodes.map((n) => n.id)).toEqual(["keep", "out"]);
    expect(fragment.edges.map((e) => e.id)).toEqual(["e2"]);
    (fragment.nodes[0]!.params as Record<string, unknown>).predicate = "False";
    expect(nodes[1]!.params.predicate).toBe("True");
  });

  it("pastes with new ids, edges rewired and positions shifted", () => {
    const fragment = copyFragment(nodes, edges, new Set(["keep", "out"]));
    const pasted = pasteFragment(fragment, new Set(nodes.map((n) => n.id)), new Set(edges.map((e) => e.id)));
    expect(pasted.nodes.map((n) => [n.id, n.position])).toEqual([
      ["keep-2", { x: 140, y: 40 }],
      ["out-2", { x: 240, y: 40 }],
    ]);
    expect(pasted.edges).toEqual([{ id: "e3", source: "keep-2", source_port: "out", target: "out-2", target_port: "in" }]);
    // pasting a copy again numbers on from the stem, not "keep-2-2"
    const again = pasteFragment(
      { nodes: pasted.nodes, edges: [] },
      new Set([...nodes.map((n) => n.id), "keep-2", "out-2"]),
      new Set(),
    );
    expect(again.nodes.map((n) => n.id)).toEqual(["keep-3", "out-3"]);
  });
});

describe("palette", () => {
  it("groups by family in palette order and filters on every word", () => {
    const groups = paletteGroups(catalog, "");
    expect(groups.map((g) => g.family)).toEqual(["source", "stateless", "aggregate", "window", "sink"]);
    expect(groups.find((g) => g.family === "aggregate")!.entries.map((e) => e.type)).toEqual([
      "stream.group_by_key",
      "grouped.count",
    ]);
    expect(paletteGroups(catalog, "group KEY").flatMap((g) => g.entries.map((e) => e.type))).toEqual(["stream.group_by_key"]);
    expect(paletteGroups(catalog, "nothing like this")).toEqual([]);
  });

  it("suggests the types that fit a port dragged into empty space", () => {
    expect(compatibleEntries(catalog, "grouped_stream", "output").map((s) => s.entry.type)).toEqual([
      "grouped.count",
      "grouped.windowed_by",
    ]);
    expect(compatibleEntries(catalog, "grouped_stream", "input").map((s) => [s.entry.type, s.port])).toEqual([
      ["stream.group_by_key", "out"],
    ]);
  });
});
