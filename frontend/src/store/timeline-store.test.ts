import { describe, expect, it } from "vitest";
import { metricsSnapshot } from "../lib/test-fixtures";
import { type EngineSnapshot, emptyPoint } from "../lib/series";
import { createTimelineStore } from "./timeline-store";

const snap = (timestamp: number, recordsIn: number) =>
  metricsSnapshot<EngineSnapshot>({ timestamp, totals: { "records-in": recordsIn, "records-out": 0 } });

describe("createTimelineStore", () => {
  it("turns successive reports into points with rates, and puts the history before them", () => {
    const store = createTimelineStore(60_000);
    store.getState().ingest([["1", snap(100_000, 10)]], []);
    store.getState().ingest([["1", snap(102_000, 30)]], []);
    store.getState().seed([{ ...emptyPoint(90_000), inRate: 7 }, { ...emptyPoint(100_000), inRate: 8 }]);
    const { points, history } = store.getState();
    expect(history).toBe("loaded");
    // The history's 100 s step is covered by the live point there; 20 records in 2 s.
    expect(points.map((p) => [p.t, p.inRate])).toEqual([
      [90_000, 7],
      [100_000, null],
      [102_000, 10],
    ]);
  });

  it("ignores an update without any fresh replica, and keeps the live points when the history fails", () => {
    const store = createTimelineStore();
    store.getState().ingest([], []);
    expect(store.getState().points).toEqual([]);
    store.getState().ingest([["1", snap(1000, 0)]], []);
    store.getState().historyFailed("Redis is unavailable");
    expect(store.getState().history).toBe("unavailable");
    expect(store.getState().historyError).toBe("Redis is unavailable");
    expect(store.getState().points).toHaveLength(1);
  });
});
