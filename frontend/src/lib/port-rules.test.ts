import { describe, expect, it } from "vitest";
import type { PortKindReference } from "../types/catalog";
import { type Link, type PortedNode, checkConnection, reaches } from "./port-rules";

const reference: PortKindReference = {
  kinds: { stream: "a stream", table: "a table", grouped_stream: "a grouped stream" },
  hints: [{ expected: "grouped_stream", given: "stream", hint: "add 'Group by key' or 'Group by' between them" }],
};

const node = (id: string, title: string, inputs: Array<[string, string, boolean?]>, outputs: Array<[string, string]>): PortedNode => ({
  id,
  data: {
    title,
    inputs: inputs.map(([name, kind, multiple]) => ({ name, kind, multiple: multiple ?? false })),
    outputs: outputs.map(([name, kind]) => ({ name, kind })),
  },
});

const nodes = [
  node("lines", "Stream", [], [["out", "stream"]]),
  node("words", "Flat map values", [["in", "stream"]], [["out", "stream"]]),
  node("group", "Group by key", [["in", "stream"]], [["out", "grouped_stream"]]),
  node("count", "Count", [["in", "grouped_stream"]], [["out", "table"]]),
  node("merge", "Merge", [["in", "stream", true]], [["out", "stream"]]),
  node("join", "Join", [["left", "stream"], ["right", "table"]], [["out", "stream"]]),
];
const link = (source: string, target: string, sourceHandle = "out", targetHandle = "in"): Link => ({
  source,
  target,
  sourceHandle,
  targetHandle,
});

describe("checkConnection", () => {
  it("accepts ports of the same kind", () => {
    expect(checkConnection(nodes, [], link("lines", "words"), reference)).toEqual({ ok: true });
    expect(checkConnection(nodes, [], link("count", "join", "out", "right"), reference)).toEqual({ ok: true });
  });

  it("refuses a stream into a grouped stream with validation's words and hint", () => {
    const verdict = checkConnection(nodes, [], link("lines", "count"), reference);
    expect(verdict).toEqual({
      ok: false,
      reason:
        "Input 'in' of 'count' (Count) takes a grouped stream, but 'lines' (Stream) gives a stream; " +
        "add 'Group by key' or 'Group by' between them.",
    });
  });

  it("names the kinds even without the reference", () => {
    const verdict = checkConnection(nodes, [], link("count", "join", "out", "left"), null);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toContain("takes a stream, but 'count' (Count) gives a table.");
  });

  it("refuses a second connection to a single input but not to a multiple one", () => {
    const edges = [link("lines", "words"), link("lines", "merge")];
    const second = checkConnection(nodes, edges, link("merge", "words"), reference);
    expect(second.ok).toBe(false);
    expect(!second.ok && second.reason).toContain("takes one connection");
    expect(checkConnection(nodes, edges, link("words", "merge"), reference)).toEqual({ ok: true });
  });

  it("refuses duplicates, self loops, cycles and unknown ports", () => {
    expect(checkConnection(nodes, [link("lines", "merge")], link("lines", "merge"), reference)).toEqual({
      ok: false,
      reason: "These ports are already connected.",
    });
    expect(checkConnection(nodes, [], link("words", "words"), reference).ok).toBe(false);
    const chain = [link("words", "merge")];
    const cycle = checkConnection(nodes, chain, link("merge", "words"), reference);
    expect(!cycle.ok && cycle.reason).toMatch(/cycle/);
    expect(checkConnection(nodes, [], link("lines", "join", "out", "middle"), reference).ok).toBe(false);
  });
});

describe("reaches", () => {
  it("follows edges transitively and stops on cycles", () => {
    const edges = [link("a", "b"), link("b", "c"), link("c", "b")];
    expect(reaches(edges, "a", "c")).toBe(true);
    expect(reaches(edges, "c", "a")).toBe(false);
  });
});
