import { describe, expect, it } from "vitest";
import { STUCK_AFTER_MS, stuckRebalances } from "./rebalance";
import type { EngineSnapshot } from "./series";
import { metricsSnapshot } from "./test-fixtures";

const NOW = 1_800_000_000_000;
const snap = (state: string, since: number | null | undefined, restoring = 0): EngineSnapshot =>
  metricsSnapshot<EngineSnapshot>({
    timestamp: NOW,
    state,
    state_since: since,
    task_metrics: restoring ? { "0_0": { "restore-remaining-records-total": restoring, "restore-total": 5 } } : {},
  });

describe("stuckRebalances", () => {
  it("names replicas rebalancing for the threshold or longer with nothing to restore", () => {
    const stuck = stuckRebalances(
      {
        "10": snap("REBALANCING", NOW - STUCK_AFTER_MS),
        "2": snap("REBALANCING", NOW - 10 * 60_000),
        "3": snap("REBALANCING", NOW - STUCK_AFTER_MS + 1), // not yet
        "4": snap("RUNNING", NOW - 60 * 60_000),
      },
      NOW,
    );
    expect(stuck).toEqual([
      { replica: "2", since: NOW - 10 * 60_000 },
      { replica: "10", since: NOW - STUCK_AFTER_MS },
    ]);
  });

  it("waits for a replica that is restoring state, and for engines that do not say since when", () => {
    const long = NOW - 30 * 60_000;
    expect(stuckRebalances({ "1": snap("REBALANCING", long, 1000), "2": snap("REBALANCING", undefined) }, NOW)).toEqual([]);
  });
});
