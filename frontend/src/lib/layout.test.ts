import { describe, expect, it } from "vitest";
import { BAND_GAP, COLUMN_WIDTH, ROW_HEIGHT, columnsPerBand, layeredLayout, needsLayout, tooWide } from "./layout";

const edge = (source: string, target: string) => ({
  id: `${source}-${target}`,
  source,
  source_port: "out",
  target,
  target_port: "in",
});

describe("needsLayout", () => {
  it("asks for layout when positions are missing or collide", () => {
    expect(needsLayout([{ id: "a", type: "t", params: {} }])).toBe(true);
    expect(
      needsLayout([
        { id: "a", type: "t", params: {}, position: { x: 0, y: 0 } },
        { id: "b", type: "t", params: {}, position: { x: 0, y: 0 } },
      ]),
    ).toBe(true);
    expect(
      needsLayout([
        { id: "a", type: "t", params: {}, position: { x: 0, y: 0 } },
        { id: "b", type: "t", params: {}, position: { x: 300, y: 0 } },
      ]),
    ).toBe(false);
  });
});

describe("layeredLayout", () => {
  it("puts each node one column right of its furthest parent", () => {
    // a → b → c, and a → c directly: c still goes after b.
    const pos = layeredLayout(["a", "b", "c"], [edge("a", "b"), edge("b", "c"), edge("a", "c")]);
    expect(pos.get("a")!.x).toBe(0);
    expect(pos.get("b")!.x).toBe(COLUMN_WIDTH);
    expect(pos.get("c")!.x).toBe(2 * COLUMN_WIDTH);
  });

  it("stacks siblings and centres shorter columns", () => {
    // Two sources joined: the join sits between them vertically.
    const pos = layeredLayout(["views", "profiles", "join"], [edge("views", "join"), edge("profiles", "join")]);
    expect(pos.get("views")).toEqual({ x: 0, y: 0 });
    expect(pos.get("profiles")).toEqual({ x: 0, y: ROW_HEIGHT });
    expect(pos.get("join")).toEqual({ x: COLUMN_WIDTH, y: ROW_HEIGHT / 2 });
  });

  it("wraps a long chain into bands read left to right, top to bottom", () => {
    const ids = ["a", "b", "c", "d", "e", "f", "g", "h"];
    const chain = ids.slice(1).map((id, i) => edge(ids[i]!, id));
    const pos = layeredLayout(ids, chain);
    // Eight steps in one row would be 17 times wider than high; two bands of four fit.
    expect(["a", "b", "c", "d"].map((id) => pos.get(id)!.y)).toEqual([0, 0, 0, 0]);
    expect(pos.get("d")!.x).toBe(3 * COLUMN_WIDTH);
    expect(pos.get("e")).toEqual({ x: 0, y: ROW_HEIGHT + BAND_GAP });
    expect(pos.get("h")).toEqual({ x: 3 * COLUMN_WIDTH, y: ROW_HEIGHT + BAND_GAP });
  });

  it("keeps one band when the drawing is not too wide", () => {
    expect(columnsPerBand(4, 3, 4)).toBe(4);
    expect(columnsPerBand(1, 1, 4)).toBe(1);
    expect(columnsPerBand(0, 0, 4)).toBe(1);
  });

  it("never puts fewer than three steps in a band", () => {
    expect(columnsPerBand(3, 1, 4)).toBe(3);
    expect(columnsPerBand(4, 1, 4)).toBe(4);
    expect(columnsPerBand(5, 1, 4)).toBe(3);
    expect(columnsPerBand(12, 1, 0.1)).toBe(3);
  });

  it("survives cycles and edges to unknown nodes", () => {
    const pos = layeredLayout(["a", "b"], [edge("a", "b"), edge("b", "a"), edge("a", "ghost")]);
    expect(pos.size).toBe(2);
    expect(pos.get("a")!.x).not.toBe(pos.get("b")!.x);
  });
});

describe("tooWide", () => {
  const row = (n: number, dy = 0) =>
    Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type: "t", params: {}, position: { x: i * 260, y: (i % 2) * dy } }));

  it("is true for a long row of steps and false for short or tall drawings", () => {
    expect(tooWide(row(8))).toBe(true); // 8 × 260 wide, one row high
    expect(tooWide(row(5))).toBe(false); // too few nodes to bother
    expect(tooWide(row(8, 500))).toBe(false); // (1820 + 280) ≤ 4 × (500 + 130)
    expect(tooWide(row(8).map((n) => ({ ...n, position: undefined })))).toBe(false); // laid out anyway
  });
});
