import { describe, expect, it } from "vitest";
import { metricsSnapshot } from "./test-fixtures";
import type { HistorySeries } from "../types/dashboard";
import {
  type ChartData,
  type EngineSnapshot,
  type TimelinePoint,
  appendPoint,
  chartColumns,
  describeLatest,
  downsample,
  emptyPoint,
  estimateLagSeconds,
  formatLagSeconds,
  keyedColumns,
  latestValues,
  livePoint,
  partitionCommitRate,
  pointsFromHistory,
  seedHistory,
  trimWindow,
} from "./series";

const snap = (overrides: Partial<EngineSnapshot> = {}) => metricsSnapshot<EngineSnapshot>({ timestamp: 10_000, ...overrides });

function point(t: number, overrides: Partial<TimelinePoint> = {}): TimelinePoint {
  return { ...emptyPoint(t), ...overrides };
}

describe("estimateLagSeconds", () => {
  it("divides the lag by the consume rate", () => {
    expect(estimateLagSeconds(300, 20)).toBe(15);
  });

  it("is 0 with nothing to consume, even when nothing is consumed", () => {
    expect(estimateLagSeconds(0, 0)).toBe(0);
    expect(estimateLagSeconds(0, null)).toBe(0);
  });

  it("has no estimate when records wait and none are consumed", () => {
    expect(estimateLagSeconds(5, 0)).toBeNull();
    expect(estimateLagSeconds(5, null)).toBeNull();
    expect(estimateLagSeconds(null, 10)).toBeNull();
  });
});

describe("formatLagSeconds", () => {
  it("says how long, never rounding a lag that exists down to zero", () => {
    expect(formatLagSeconds(0)).toBe("0 s");
    expect(formatLagSeconds(0.2)).toBe("<1 s");
    expect(formatLagSeconds(12.4)).toBe("12 s");
    expect(formatLagSeconds(210)).toBe("3.5 min");
    expect(formatLagSeconds(null)).toBe("—");
  });
});

describe("livePoint", () => {
  it("has no rates for a replica's first report, since a counter alone is no rate", () => {
    const { point } = livePoint([["1", snap({ totals: { "records-in": 50, "records-out": 10 } })]], [], {});
    expect(point.inRate).toBeNull();
    expect(point.outRate).toBeNull();
  });

  it("turns each replica's counters into rates against its own previous report", () => {
    const first = livePoint(
      [
        ["1", snap({ timestamp: 10_000, totals: { "records-in": 100, "records-out": 40 } })],
        ["2", snap({ timestamp: 10_500, totals: { "records-in": 10, "records-out": 0 } })],
      ],
      [],
      {},
    );
    // Replica 1: +20 in over 2 s = 10/s, +4 out = 2/s; replica 2: +30 in over 1 s = 30/s.
    const second = livePoint(
      [
        ["1", snap({ timestamp: 12_000, totals: { "records-in": 120, "records-out": 44 } })],
        ["2", snap({ timestamp: 11_500, totals: { "records-in": 40, "records-out": 0 } })],
      ],
      [],
      first.counters,
    );
    expect(second.point.inRate).toBeCloseTo(40);
    expect(second.point.outRate).toBeCloseTo(2);
    expect(second.point.t).toBe(12_000);
  });

  it("keeps a replica's rate when the same report comes again (a snapshot after reconnecting)", () => {
    const a = livePoint([["1", snap({ timestamp: 1000, totals: { "records-in": 0, "records-out": 0 } })]], [], {});
    const b = livePoint([["1", snap({ timestamp: 2000, totals: { "records-in": 8, "records-out": 0 } })]], [], a.counters);
    const c = livePoint([["1", snap({ timestamp: 2000, totals: { "records-in": 8, "records-out": 0 } })]], [], b.counters);
    expect(b.point.inRate).toBe(8);
    expect(c.point.inRate).toBe(8);
  });

  it("counts a restarted replica's drop in counters as zero, not a negative rate", () => {
    const a = livePoint([["1", snap({ timestamp: 1000, totals: { "records-in": 500, "records-out": 0 } })]], [], {});
    const b = livePoint([["1", snap({ timestamp: 2000, totals: { "records-in": 3, "records-out": 0 } })]], [], a.counters);
    expect(b.point.inRate).toBe(0);
  });

  it("counts errors that were not in the replica's previous list as new", () => {
    const error = (offset: number) => ({ node: "split", topic: "lines", partition: 0, offset, message: "boom", timestamp: 5 });
    const a = livePoint([["1", snap({ timestamp: 1000, errors: [error(1)] })]], [], {});
    const b = livePoint([["1", snap({ timestamp: 3000, errors: [error(1), error(2), error(3)] })]], [], a.counters);
    expect(b.point.errorRate).toBe(1); // 2 new errors in 2 s
  });

  it("sums thread rates, task drops and restores, and store entries per store over replicas", () => {
    const { point } = livePoint(
      [
        [
          "1",
          snap({
            threads: { a: { "process-rate": 4, "process-latency-avg": 0.2, "commit-latency-avg": 10 } },
            task_metrics: { "0_0": { "dropped-records-rate": 0.5, "restore-remaining-records-total": 100 } },
            stores: { "1_0": { counts: { "num-entries": 7 } }, "1_1": { counts: { "num-entries": 3 } } },
            nodes: { split: { "process-rate": 2 }, out: { "process-rate": 2, "record-e2e-latency-avg": 40 } },
          }),
        ],
        [
          "2",
          snap({
            threads: { b: { "process-rate": 6, "process-latency-avg": 0.4, "commit-latency-avg": null } },
            task_metrics: { "0_1": { "dropped-records-rate": 0, "restore-remaining-records-total": 0 } },
            stores: { "1_2": { counts: { "num-entries": 5 }, other: { "num-entries": 1 } } },
            nodes: {
              split: { "process-rate": 3 },
              out: { "process-rate": 3, "record-e2e-latency-avg": 25 },
              other: { "process-rate": 0, "record-e2e-latency-avg": null },
            },
          }),
        ],
      ],
      [],
      {},
    );
    expect(point.e2eLatency).toBe(40); // the slowest sink of any replica
    expect(point.processRate).toBe(10);
    expect(point.processLatency).toBeCloseTo(0.3);
    expect(point.commitLatency).toBe(10); // the thread without commits has no say
    expect(point.droppedRate).toBe(0.5);
    expect(point.restoreRemaining).toBe(100);
    expect(point.stores).toEqual({ counts: 15, other: 1 });
    expect(point.storeEntries).toBe(16);
    expect(point.nodes).toEqual({ split: 5, out: 5, other: 0 });
  });

  it("takes the lag per partition and its total, a negative lag counting as none", () => {
    const { point } = livePoint(
      [["1", snap()]],
      [
        { topic: "lines", partition: 0, committed: 100, end_offset: 120, lag: 20 },
        { topic: "lines", partition: 1, committed: 50, end_offset: 48, lag: -2 },
        { topic: "lines", partition: 2, committed: null, end_offset: null, lag: null },
      ],
      {},
    );
    expect(point.lag).toBe(20);
    expect(point.partitions["lines[0]"]).toEqual({ lag: 20, committed: 100 });
    expect(point.partitions["lines[2]"]).toEqual({ lag: null, committed: null });
  });

  it("puts replicas reporting within one second in that second's bucket", () => {
    const { point } = livePoint([["1", snap({ timestamp: 12_345 })], ["2", snap({ timestamp: 12_900 })]], [], {});
    expect(point.t).toBe(12_000);
  });
});

describe("pointsFromHistory", () => {
  const series = (name: string, values: Array<number | null>): HistorySeries => ({
    series: name,
    points: values.map((v, i) => [1_000_000 + i * 10_000, v]),
  });

  it("turns counter steps into rates and keeps the gauges as they are", () => {
    const points = pointsFromHistory([
      series("records-in-total", [100, 200, null, 400]),
      series("records-out-total", [0, 50, 60, 70]),
      series("process-rate", [9, 10, null, 12]),
      series("records-lag", [30, 20, null, 0]),
    ]);
    expect(points.map((p) => p.t)).toEqual([1_000_000, 1_010_000, 1_020_000, 1_030_000]);
    // 100 more records in 10 s; no rate where a step is missing on either side.
    expect(points.map((p) => p.inRate)).toEqual([null, 10, null, null]);
    expect(points.map((p) => p.outRate)).toEqual([null, 5, 1, 1]);
    expect(points.map((p) => p.processRate)).toEqual([9, 10, null, 12]);
    expect(points.map((p) => p.lag)).toEqual([30, 20, null, 0]);
  });

  it("is empty for an empty answer", () => {
    expect(pointsFromHistory([])).toEqual([]);
  });
});

describe("appendPoint", () => {
  it("replaces the newest point when the new one is in the same bucket", () => {
    const points = appendPoint([point(1000, { inRate: 1 })], point(1000, { inRate: 2 }));
    expect(points.map((p) => p.inRate)).toEqual([2]);
  });

  it("ignores a point older than the newest", () => {
    const points = appendPoint([point(2000)], point(1000));
    expect(points.map((p) => p.t)).toEqual([2000]);
  });

  it("drops points that fall out of the window", () => {
    let points: TimelinePoint[] = [];
    for (const t of [0, 5000, 10_000, 15_000]) points = appendPoint(points, point(t), 10_000);
    expect(points.map((p) => p.t)).toEqual([5000, 10_000, 15_000]);
  });

  it("estimates seconds of lag from the consume rate averaged over the last 30 s", () => {
    let points: TimelinePoint[] = [];
    points = appendPoint(points, point(0, { processRate: 100 })); // out of the 30 s before t = 40 s
    points = appendPoint(points, point(20_000, { processRate: 10 }));
    points = appendPoint(points, point(40_000, { processRate: 30, lag: 600 }));
    // Mean of 10 and 30 = 20 records/s: 600 records take 30 s.
    expect(points[points.length - 1]!.lagSeconds).toBe(30);
  });

  it("falls back to the input rate when the threads report no process rate", () => {
    const points = appendPoint([], point(0, { inRate: 4, lag: 8 }));
    expect(points[0]!.lagSeconds).toBe(2);
  });
});

describe("seedHistory", () => {
  it("puts history before the live points and leaves out history they cover", () => {
    const live = [point(100_000, { inRate: 5 }), point(101_000, { inRate: 6 })];
    const history = [point(80_000, { inRate: 1 }), point(90_000, { inRate: 2 }), point(100_000, { inRate: 3 })];
    expect(seedHistory(live, history).map((p) => [p.t, p.inRate])).toEqual([
      [80_000, 1],
      [90_000, 2],
      [100_000, 5],
      [101_000, 6],
    ]);
  });

  it("leaves out the steps before the first report", () => {
    const history = [point(0), point(10_000), point(20_000, { lag: 3 }), point(30_000), point(40_000, { lag: 1 })];
    expect(seedHistory([], history).map((p) => p.t)).toEqual([20_000, 30_000, 40_000]);
    expect(seedHistory([point(50_000)], [point(0), point(10_000)]).map((p) => p.t)).toEqual([50_000]);
  });

  it("keeps only the window before the newest point", () => {
    const history = [point(0, { lag: 1 }), point(50_000, { lag: 1 }), point(100_000, { lag: 1 })];
    expect(seedHistory([], history, 60_000).map((p) => p.t)).toEqual([50_000, 100_000]);
  });

  it("gives history points their lag in seconds", () => {
    const seeded = seedHistory([], [point(0, { processRate: 10, lag: 50 })]);
    expect(seeded[0]!.lagSeconds).toBe(5);
  });
});

describe("trimWindow", () => {
  it("keeps points from now - window on, inclusive", () => {
    expect(trimWindow([point(0), point(10), point(20)], 20, 10).map((p) => p.t)).toEqual([10, 20]);
    expect(trimWindow([point(0)], 100, 10)).toEqual([]);
  });
});

describe("partitionCommitRate", () => {
  const at = (t: number, committed: number | null) =>
    point(t, { partitions: { "lines[0]": { lag: 0, committed } } });

  it("is the committed offset's progress per second over the window", () => {
    // 0 at 0 s is out of a 60 s window ending at 90 s; from 30 s (100) to 90 s (400): 5/s.
    const points = [at(0, 0), at(30_000, 100), at(60_000, 250), at(90_000, 400)];
    expect(partitionCommitRate(points, "lines[0]", 60_000)).toBe(5);
  });

  it("has no rate without two commits to compare", () => {
    expect(partitionCommitRate([at(0, 5)], "lines[0]")).toBeNull();
    expect(partitionCommitRate([at(0, null), at(1000, 5)], "lines[0]")).toBeNull();
    expect(partitionCommitRate([at(0, 5)], "other[0]")).toBeNull();
  });
});

describe("chart data", () => {
  it("gives uPlot seconds on x and one column per picker", () => {
    const data = chartColumns([point(1000, { inRate: 1 }), point(2000, { inRate: null })], [(p) => p.inRate]);
    expect(data).toEqual([[1, 2], [1, null]]);
  });

  it("keeps the busiest keys of a keyed value, sorted by name, with gaps where missing", () => {
    const points = [
      point(1000, { nodes: { a: 1, b: 9, c: 5 } }),
      point(2000, { nodes: { a: 2, c: 4 } }),
    ];
    const { keys, data } = keyedColumns(points, (p) => p.nodes, 2);
    // Newest values: a 2, b 9 (from its last point), c 4: b and c are the busiest.
    expect(keys).toEqual(["b", "c"]);
    expect(data).toEqual([[1, 2], [9, null], [5, 4]]);
  });

  it("downsamples by the mean of runs, at each run's last x, keeping gaps", () => {
    const data: ChartData = [
      [1, 2, 3, 4, 5, 6],
      [1, 3, null, null, 5, null],
    ];
    expect(downsample(data, 3)).toEqual([
      [2, 4, 6],
      [2, null, 5],
    ]);
    expect(downsample(data, 10)).toBe(data);
  });

  it("finds each column's newest value", () => {
    expect(latestValues([[1, 2, 3], [1, 2, null], [null, null, null]])).toEqual([2, null]);
  });

  it("describes the latest values for the accessible name", () => {
    expect(describeLatest("Records per second", ["in", "out"], [12, null], (v) => `${v} rec/s`)).toBe(
      "Records per second, latest: in 12 rec/s, out no data",
    );
    expect(describeLatest("Lag", [], [], String)).toBe("Lag: no data yet");
  });
});
