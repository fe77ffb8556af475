import { describe, expect, it } from "vitest";
import { metricsSnapshot } from "./test-fixtures";
import type { MetricsSnapshot } from "../types/metrics";
import {
  MAX_SAMPLES,
  appendThroughput,
  combineStates,
  documentNodeFor,
  documentNodeRates,
  latestByKey,
  mergeSnapshots,
} from "./metrics";

const snapshot = (overrides: Partial<MetricsSnapshot> = {}) => metricsSnapshot(overrides);

const docIds = ["lines", "split", "group", "counts", "changes", "out"];

describe("mergeSnapshots", () => {
  it("is empty without replicas", () => {
    const merged = mergeSnapshots({});
    expect(merged.replicas).toEqual([]);
    expect(merged.state).toBeNull();
    expect(merged.updatedAt).toBeNull();
  });

  it("adds per-node rates and totals of replicas that own different partitions", () => {
    const merged = mergeSnapshots(
      {
        "1": snapshot({ nodes: { split: { "process-total": 100, "process-rate": 4 } } }),
        "2": snapshot({ nodes: { split: { "process-total": 50, "process-rate": 1.5 } } }),
      },
      docIds,
    );
    expect(merged.nodes).toEqual([{ name: "split", rate: 5.5, total: 150, documentNode: "split" }]);
  });

  it("unions partitions and sums the lag", () => {
    const merged = mergeSnapshots({
      "1": snapshot({ partitions: [{ topic: "lines", partition: 1, committed: 10, end_offset: 15, lag: 5 }] }),
      "2": snapshot({ partitions: [{ topic: "lines", partition: 0, committed: 7, end_offset: 7, lag: 0 }] }),
    });
    expect(merged.partitions.map((p) => p.partition)).toEqual([0, 1]);
    expect(merged.totalLag).toBe(5);
  });

  it("takes a partition reported twice from the newer report", () => {
    const merged = mergeSnapshots({
      old: snapshot({ timestamp: 1000, partitions: [{ topic: "t", partition: 0, committed: 1, end_offset: 9, lag: 8 }] }),
      new: snapshot({ timestamp: 2000, partitions: [{ topic: "t", partition: 0, committed: 9, end_offset: 9, lag: 0 }] }),
    });
    expect(merged.partitions).toHaveLength(1);
    expect(merged.partitions[0]!.lag).toBe(0);
    expect(merged.totalLag).toBe(0);
  });

  it("ignores unknown (null) lag in the total", () => {
    const merged = mergeSnapshots({
      "1": snapshot({ partitions: [{ topic: "t", partition: 0, committed: null, end_offset: 4, lag: null }] }),
    });
    expect(merged.totalLag).toBe(0);
  });

  it("leaves out replicas that stopped reporting long ago", () => {
    const merged = mergeSnapshots({
      gone: snapshot({ timestamp: 0, totals: { "records-in": 1000, "records-out": 1000 } }),
      live: snapshot({ timestamp: 60_000, totals: { "records-in": 10, "records-out": 20 } }),
    });
    expect(merged.replicas).toEqual(["live"]);
    expect(merged.totals).toEqual({ recordsIn: 10, recordsOut: 20 });
  });

  it("orders samples newest first, drops duplicates and caps the list", () => {
    const sample = (key: string, value: number, timestamp: number) => ({
      node: "out",
      topic: "word-counts",
      key,
      value,
      timestamp,
    });
    const many = Array.from({ length: MAX_SAMPLES + 10 }, (_, i) => sample(`w${i}`, 1, i));
    const merged = mergeSnapshots({
      "1": snapshot({ samples: [sample("kafka", 1, 5), sample("kafka", 2, 900)] }),
      "2": snapshot({ samples: [sample("kafka", 2, 900), ...many] }),
    });
    expect(merged.samples).toHaveLength(MAX_SAMPLES);
    expect(merged.samples[0]).toEqual(sample("kafka", 2, 900));
    expect(merged.samples.filter((s) => s.key === "kafka" && s.value === 2)).toHaveLength(1);
  });

  it("sorts errors newest first and orders tasks numerically", () => {
    const err = (offset: number, timestamp: number) => ({
      node: "split", topic: "lines", partition: 0, offset, message: "boom", timestamp,
    });
    const merged = mergeSnapshots({
      "1": snapshot({ tasks: ["1_10", "0_2"], errors: [err(1, 10)] }),
      "2": snapshot({ tasks: ["1_2", "0_10"], errors: [err(2, 20)] }),
    });
    expect(merged.tasks).toEqual(["0_2", "0_10", "1_2", "1_10"]);
    expect(merged.errors.map((e) => e.offset)).toEqual([2, 1]);
  });

  it("reports the most alarming state", () => {
    const merged = mergeSnapshots({
      "1": snapshot({ state: "RUNNING" }),
      "2": snapshot({ state: "REBALANCING" }),
    });
    expect(merged.state).toBe("REBALANCING");
  });
});

describe("combineStates", () => {
  it("prefers errors over everything and running least", () => {
    expect(combineStates(["RUNNING", "ERROR", "REBALANCING"])).toBe("ERROR");
    expect(combineStates(["RUNNING", "RUNNING"])).toBe("RUNNING");
    expect(combineStates([])).toBeNull();
  });
});

describe("documentNodeFor", () => {
  it("matches exact names and derived processor names, longest id first", () => {
    expect(documentNodeFor("split", docIds)).toBe("split");
    expect(documentNodeFor("group-repartition-sink", docIds)).toBe("group");
    expect(documentNodeFor("counts-x", ["counts", "counts-x"])).toBe("counts-x");
    expect(documentNodeFor("a-b-c", ["a", "a-b"])).toBe("a-b");
    expect(documentNodeFor("KSTREAM-SOURCE-0000000000", docIds)).toBeNull();
  });
});

describe("documentNodeRates", () => {
  it("uses the node's own processor over derived ones", () => {
    const rates = documentNodeRates([
      { name: "group-repartition-sink", rate: 9, total: 90, documentNode: "group" },
      { name: "group", rate: 3, total: 30, documentNode: "group" },
      { name: "group-repartition-source", rate: 8, total: 80, documentNode: "group" },
    ]);
    expect(rates.group).toEqual({ rate: 3, total: 30 });
  });

  it("takes the busiest derived processor when the node has none of its own", () => {
    const rates = documentNodeRates([
      { name: "counts-repartition-sink", rate: 2, total: 20, documentNode: "counts" },
      { name: "counts-repartition-source", rate: 5, total: 50, documentNode: "counts" },
      { name: "KSTREAM-SINK-1", rate: 5, total: 50, documentNode: null },
    ]);
    expect(rates).toEqual({ counts: { rate: 5, total: 50 } });
  });
});

describe("latestByKey", () => {
  const s = (key: string, value: number, timestamp: number) => ({ node: "out", topic: "c", key, value, timestamp });

  it("keeps the newest value per key and topic", () => {
    const merged = mergeSnapshots({ "1": snapshot({ samples: [s("a", 1, 1), s("b", 1, 2), s("a", 2, 3)] }) });
    expect(latestByKey(merged.samples)).toEqual([s("a", 2, 3), s("b", 1, 2)]);
  });

  it("takes the later of records that share a timestamp", () => {
    // Every word of one line carries the line's timestamp: "a a a" counts 1, 2, 3 at t=5.
    const merged = mergeSnapshots({ "1": snapshot({ samples: [s("a", 1, 5), s("a", 2, 5), s("a", 3, 5)] }) });
    expect(merged.samples.map((x) => x.value)).toEqual([3, 2, 1]);
    expect(latestByKey(merged.samples)).toEqual([s("a", 3, 5)]);
  });
});

describe("appendThroughput", () => {
  it("derives rates from totals and clamps counter resets to zero", () => {
    let h = appendThroughput([], 1000, { recordsIn: 10, recordsOut: 30 });
    expect(h[0]).toMatchObject({ inRate: 0, outRate: 0 });
    h = appendThroughput(h, 3000, { recordsIn: 30, recordsOut: 90 });
    expect(h[1]).toMatchObject({ inRate: 10, outRate: 30 });
    h = appendThroughput(h, 4000, { recordsIn: 5, recordsOut: 95 });
    expect(h[2]).toMatchObject({ inRate: 0, outRate: 5 });
  });

  it("replaces the newest point when more replicas report for the same time", () => {
    let h = appendThroughput([], 1000, { recordsIn: 10, recordsOut: 10 });
    h = appendThroughput(h, 2000, { recordsIn: 14, recordsOut: 14 }); // replica 1 of 2
    h = appendThroughput(h, 2000, { recordsIn: 16, recordsOut: 20 }); // replica 2 of 2
    expect(h).toHaveLength(2);
    expect(h[1]).toMatchObject({ recordsIn: 16, inRate: 6, outRate: 10 });
  });

  it("ignores older points and keeps a bounded history", () => {
    let h = appendThroughput([], 1000, { recordsIn: 1, recordsOut: 1 });
    expect(appendThroughput(h, 999, { recordsIn: 2, recordsOut: 2 })).toBe(h);
    for (let t = 2000; t < 10_000; t += 1000) h = appendThroughput(h, t, { recordsIn: t, recordsOut: t }, 5);
    expect(h).toHaveLength(5);
    expect(h[4]!.t).toBe(9000);
  });
});

describe("brokerOutage", () => {
  const broker = (reachable: boolean | null, since: number | null, detail = "") => ({ reachable, since, detail });

  it("is null while every replica reaches a broker, or says nothing about it", () => {
    const merged = mergeSnapshots({
      "1": snapshot({ broker: broker(true, 5) }),
      "2": snapshot({ broker: broker(null, null) }),
      "3": snapshot(),
    });
    expect(merged.brokerOutage).toBeNull();
  });

  it("names the cut-off replicas, the earliest time and that replica's error", () => {
    const merged = mergeSnapshots({
      "1": snapshot({ broker: broker(false, 2_000, "b:9092: Connection refused") }),
      "2": snapshot({ broker: broker(true, 1_500) }),
      "4": snapshot({ broker: broker(false, 1_000, "all brokers down") }),
    });
    expect(merged.brokerOutage).toEqual({ replicas: ["1", "4"], since: 1_000, detail: "all brokers down" });
  });

  it("leaves out a stale replica's old report", () => {
    const merged = mergeSnapshots({
      "1": snapshot({ timestamp: 100_000, broker: broker(true, 90_000) }),
      "2": snapshot({ timestamp: 1_000, broker: broker(false, 500, "old") }),
    });
    expect(merged.brokerOutage).toBeNull();
  });
});
