import { describe, expect, it } from "vitest";
import { autoLayout } from "./auto-layout";

const box = (id: string, width = 200, height = 90) => ({ id, width, height });

describe("autoLayout", () => {
  it("places each node right of the nodes feeding it, without overlaps", () => {
    const boxes = [box("lines"), box("words"), box("group"), box("count", 240, 120), box("other")];
    const arcs = [
      { source: "lines", target: "words" },
      { source: "words", target: "group" },
      { source: "group", target: "count" },
      { source: "lines", target: "other" },
    ];
    const at = autoLayout(boxes, arcs);
    for (const { source, target } of arcs) {
      const s = at.get(source)!;
      const t = at.get(target)!;
      expect(t.x).toBeGreaterThanOrEqual(s.x + 200);
    }
    for (const a of boxes) {
      for (const b of boxes) {
        if (a.id >= b.id) continue;
        const p = at.get(a.id)!;
        const q = at.get(b.id)!;
        const apart = p.x + a.width <= q.x || q.x + b.width <= p.x || p.y + a.height <= q.y || q.y + b.height <= p.y;
        expect(apart, `${a.id} and ${b.id} overlap`).toBe(true);
      }
    }
  });

  it("ignores edges to nodes it was not given", () => {
    const at = autoLayout([box("a")], [{ source: "a", target: "gone" }]);
    expect([...at.keys()]).toEqual(["a"]);
  });
});
