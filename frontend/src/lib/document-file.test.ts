import { describe, expect, it } from "vitest";
import { documentFileName, parseDocumentFile } from "./document-file";

describe("document files", () => {
  it("names the file after the topology", () => {
    expect(documentFileName("Word count (v2)")).toBe("word-count-v2.json");
    expect(documentFileName("  ")).toBe("topology.json");
  });

  it("reads a document and refuses what is not one, saying where", () => {
    const ok = { format_version: 1, name: "t", nodes: [{ id: "a", type: "source.stream", params: {} }], edges: [] };
    expect(parseDocumentFile(JSON.stringify(ok))).toEqual({ document: ok });
    expect(parseDocumentFile("{nope")).toHaveProperty("error");
    expect(parseDocumentFile("[]")).toEqual({ error: "The file holds no topology document (expected a JSON object)." });
    expect(parseDocumentFile(JSON.stringify({ format_version: 1, nodes: [] }))).toEqual({
      error: 'The file holds no topology document: it needs "nodes" and "edges" lists.',
    });
    expect(parseDocumentFile(JSON.stringify({ ...ok, nodes: [...ok.nodes, { id: 3 }] }))).toEqual({
      error: 'Node 2 of the file has no string "id" and "type".',
    });
    expect(parseDocumentFile(JSON.stringify({ ...ok, edges: [{ id: "e", source: "a" }] }))).toEqual({
      error: 'Edge 1 of the file has no string "id", "source" and "target".',
    });
  });
});
