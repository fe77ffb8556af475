import { describe, expect, it } from "vitest";
import { COALESCE_MS, LIMIT, emptyHistory, record, redo, undo } from "./history";

describe("history", () => {
  it("undoes and redoes in order, and a new edit clears redo", () => {
    let h = emptyHistory<number>();
    h = record(h, 0, null, 0); // 0 → 1
    h = record(h, 1, null, 10); // 1 → 2
    const u1 = undo(h, 2)!;
    expect(u1.present).toBe(1);
    const u2 = undo(u1.history, u1.present)!;
    expect(u2.present).toBe(0);
    expect(undo(u2.history, u2.present)).toBeNull();
    const r1 = redo(u2.history, u2.present)!;
    expect(r1.present).toBe(1);
    const edited = record(r1.history, 1, null, 20);
    expect(redo(edited, 5)).toBeNull();
  });

  it("joins edits of one field typed quickly into one step", () => {
    let h = emptyHistory<string>();
    h = record(h, "", "count.params.store", 0); // "" → "s"
    h = record(h, "s", "count.params.store", 300); // "s" → "st"
    h = record(h, "st", "count.params.store", 600); // "st" → "sto"
    expect(h.past).toEqual([""]);
    expect(undo(h, "sto")!.present).toBe("");
    const later = record(h, "sto", "count.params.store", 600 + COALESCE_MS + 1);
    expect(later.past).toEqual(["", "sto"]);
    const other = record(h, "sto", "count.label", 700);
    expect(other.past).toEqual(["", "sto"]);
  });

  it("keeps at most LIMIT steps", () => {
    let h = emptyHistory<number>();
    for (let i = 0; i < LIMIT + 5; i++) h = record(h, i, null, i);
    expect(h.past.length).toBe(LIMIT);
    expect(h.past[0]).toBe(5);
  });
});
