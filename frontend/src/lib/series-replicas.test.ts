import { describe, expect, it } from "vitest";
import { metricsSnapshot } from "./test-fixtures";
import type { EngineSnapshot } from "./series";
import { replicaRows, restoreProgress } from "./series-replicas";

const snap = (overrides: Partial<EngineSnapshot> = {}) =>
  metricsSnapshot<EngineSnapshot>({ timestamp: 100_000, totals: {}, ...overrides });

describe("replicaRows", () => {
  it("lists each replica's tasks in numeric order, its rate and its partitions' lag", () => {
    const rows = replicaRows(
      {
        "10": snap({ tasks: ["1_0", "0_10", "0_2"], threads: { t: { "process-rate": 3 } } }),
        "9": snap({
          state: "REBALANCING",
          partitions: [
            { topic: "a", partition: 0, committed: 1, end_offset: 5, lag: 4 },
            { topic: "a", partition: 1, committed: 9, end_offset: 8, lag: -1 },
          ],
        }),
      },
      30_000,
    );
    expect(rows.map((r) => r.id)).toEqual(["9", "10"]);
    expect(rows[1]!.tasks).toEqual(["0_2", "0_10", "1_0"]);
    expect(rows[1]!.processRate).toBe(3);
    expect(rows[0]!.processRate).toBeNull();
    expect(rows[0]!.lag).toBe(4);
    expect(rows[0]!.state).toBe("REBALANCING");
  });

  it("marks a replica whose report is older than the newest by more than the limit", () => {
    const rows = replicaRows({ "1": snap({ timestamp: 100_000 }), "2": snap({ timestamp: 60_000 }) }, 30_000);
    expect(rows.map((r) => r.stale)).toEqual([false, true]);
  });
});

describe("restoreProgress", () => {
  it("lists only tasks with records left to restore, with the share already restored", () => {
    const progress = restoreProgress({
      "1": snap({
        task_metrics: {
          "1_1": { "restore-total": 300, "restore-remaining-records-total": 100 },
          "1_0": { "restore-total": 50, "restore-remaining-records-total": 0 },
        },
      }),
      "2": snap({ task_metrics: { "1_2": { "restore-total": null, "restore-remaining-records-total": 40 } } }),
    });
    expect(progress).toEqual([
      { replica: "1", task: "1_1", restored: 300, remaining: 100, fraction: 0.75 },
      { replica: "2", task: "1_2", restored: 0, remaining: 40, fraction: 0 },
    ]);
  });

  it("is empty when the snapshots have no task metrics", () => {
    expect(restoreProgress({ "1": snap() })).toEqual([]);
  });
});
