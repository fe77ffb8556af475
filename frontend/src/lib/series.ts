// The dashboard's chart timeline: one point per second built from the replicas' live
// metrics snapshots, seeded from the metrics history endpoint, kept to a bounded window,
// and turned into the column arrays uPlot draws. Pure functions, no React.
import type { EngineMetricGroups, HistorySeries } from "../types/dashboard";
import type { MetricsSnapshot, PartitionLag, ProcessingErrorReport } from "../types/metrics";
import { formatDurationMs } from "./format";

/** How much history the charts keep. */
export const WINDOW_MS = 15 * 60_000;
/** Live points are bucketed on this: replicas report one after another within it. */
export const BUCKET_MS = 1000;
/** The consume rate behind "seconds of lag" is averaged over this much time. */
export const RATE_SMOOTHING_MS = 30_000;
/** A partition's consume rate is read from its committed offset over this much time. */
export const COMMIT_RATE_WINDOW_MS = 60_000;

export type EngineSnapshot = MetricsSnapshot & EngineMetricGroups;

export interface PartitionPoint {
  lag: number | null;
  committed: number | null;
}

export interface TimelinePoint {
  /** Epoch ms. */
  t: number;
  /** Records read from the input topics per second, all replicas. */
  inRate: number | null;
  /** Records written to the application's output topics per second. */
  outRate: number | null;
  /** Records processed per second by the stream threads (repartition topics included). */
  processRate: number | null;
  /** Total consumer lag, records. */
  lag: number | null;
  /** Total lag divided by the recent consume rate. */
  lagSeconds: number | null;
  /** End-to-end latency, ms: the slowest sink's mean of (written at − record timestamp). */
  e2eLatency: number | null;
  /** Stream threads' mean processing latency, ms per record. */
  processLatency: number | null;
  /** Stream threads' mean commit latency, ms per commit. */
  commitLatency: number | null;
  /** Records skipped per second (handlers' log-and-continue, late records, bad timestamps). */
  droppedRate: number | null;
  /** New record errors per second. */
  errorRate: number | null;
  /** Changelog records still to restore, tasks summed. */
  restoreRemaining: number | null;
  /** Entries of every state store. */
  storeEntries: number | null;
  /** process-rate per processor name. */
  nodes: Record<string, number>;
  /** Per input partition, keyed by partitionKey(). */
  partitions: Record<string, PartitionPoint>;
  /** num-entries per store name, its tasks summed. */
  stores: Record<string, number>;
}

/** What live points remember of each replica's previous report to turn counters into rates. */
export interface ReplicaCounters {
  t: number;
  recordsIn: number;
  recordsOut: number;
  errorKeys: string[];
  inRate: number | null;
  outRate: number | null;
  errorRate: number | null;
}

export type LiveCounters = Record<string, ReplicaCounters>;

export function partitionKey(p: { topic: string; partition: number }): string {
  return `${p.topic}[${p.partition}]`;
}

export function emptyPoint(t: number): TimelinePoint {
  return {
    t,
    inRate: null,
    outRate: null,
    processRate: null,
    lag: null,
    lagSeconds: null,
    e2eLatency: null,
    processLatency: null,
    commitLatency: null,
    droppedRate: null,
    errorRate: null,
    restoreRemaining: null,
    storeEntries: null,
    nodes: {},
    partitions: {},
    stores: {},
  };
}

/**
 * Seconds the application needs to consume `lag` records at `rate` records per second:
 * 0 with nothing to consume, null when it is not consuming (no estimate).
 */
export function estimateLagSeconds(lag: number | null, rate: number | null): number | null {
  if (lag === null || !Number.isFinite(lag)) return null;
  if (lag <= 0) return 0;
  if (rate === null || !Number.isFinite(rate) || rate <= 0) return null;
  return lag / rate;
}

/** Estimated seconds of lag: "0 s", "<1 s", "12 s", "3.5 min"; "—" without an estimate. */
export function formatLagSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds <= 0) return "0 s";
  if (seconds < 1) return "<1 s";
  return formatDurationMs(Math.round(seconds) * 1000);
}

/**
 * One timeline point from the fresh replicas' latest snapshots. Counters (records in/out,
 * errors) become rates per replica, against that replica's previous report, so replicas
 * reporting at different moments do not make the sum jump; a replica whose counters went
 * down restarted, and counts as zero for that interval.
 */
export function livePoint(
  snapshots: ReadonlyArray<readonly [string, EngineSnapshot]>,
  partitions: readonly PartitionLag[],
  previous: LiveCounters,
  bucketMs = BUCKET_MS,
): { point: TimelinePoint; counters: LiveCounters } {
  const newest = Math.max(0, ...snapshots.map(([, s]) => s.timestamp ?? 0));
  const point = emptyPoint(Math.floor(newest / bucketMs) * bucketMs);
  const counters: LiveCounters = {};
  const processLatencies: number[] = [];
  const commitLatencies: number[] = [];

  for (const [replica, snap] of snapshots) {
    const before = previous[replica];
    const recordsIn = finite(snap.totals?.["records-in"]) ?? 0;
    const recordsOut = finite(snap.totals?.["records-out"]) ?? 0;
    const errorKeys = (snap.errors ?? []).map(errorKey);
    let now: ReplicaCounters = {
      t: snap.timestamp,
      recordsIn,
      recordsOut,
      errorKeys,
      inRate: null,
      outRate: null,
      errorRate: null,
    };
    if (before && snap.timestamp === before.t) {
      now = { ...now, inRate: before.inRate, outRate: before.outRate, errorRate: before.errorRate };
    } else if (before && snap.timestamp > before.t) {
      const seconds = (snap.timestamp - before.t) / 1000;
      const known = new Set(before.errorKeys);
      now.inRate = Math.max(0, recordsIn - before.recordsIn) / seconds;
      now.outRate = Math.max(0, recordsOut - before.recordsOut) / seconds;
      now.errorRate = errorKeys.filter((k) => !known.has(k)).length / seconds;
    }
    counters[replica] = now;
    point.inRate = addNullable(point.inRate, now.inRate);
    point.outRate = addNullable(point.outRate, now.outRate);
    point.errorRate = addNullable(point.errorRate, now.errorRate);

    for (const thread of Object.values(snap.threads ?? {})) {
      point.processRate = addNullable(point.processRate, finite(thread["process-rate"]));
      const pl = finite(thread["process-latency-avg"]);
      if (pl !== null) processLatencies.push(pl);
      const cl = finite(thread["commit-latency-avg"]);
      if (cl !== null) commitLatencies.push(cl);
    }
    for (const task of Object.values(snap.task_metrics ?? {})) {
      point.droppedRate = addNullable(point.droppedRate, finite(task["dropped-records-rate"]));
      point.restoreRemaining = addNullable(point.restoreRemaining, finite(task["restore-remaining-records-total"]));
    }
    for (const byStore of Object.values(snap.stores ?? {})) {
      for (const [store, metrics] of Object.entries(byStore)) {
        const entries = finite(metrics["num-entries"]);
        if (entries === null) continue;
        point.stores[store] = (point.stores[store] ?? 0) + entries;
        point.storeEntries = (point.storeEntries ?? 0) + entries;
      }
    }
    for (const [name, values] of Object.entries(snap.nodes ?? {})) {
      point.nodes[name] = (point.nodes[name] ?? 0) + (finite(values["process-rate"]) ?? 0);
      const e2e = finite(values["record-e2e-latency-avg"]);
      if (e2e !== null) point.e2eLatency = Math.max(point.e2eLatency ?? e2e, e2e);
    }
  }
  point.processLatency = mean(processLatencies);
  point.commitLatency = mean(commitLatencies);
  for (const p of partitions) {
    const lag = finite(p.lag);
    point.partitions[partitionKey(p)] = { lag, committed: finite(p.committed) };
    if (lag !== null) point.lag = (point.lag ?? 0) + Math.max(0, lag);
  }
  return { point, counters };
}

/**
 * Timeline points from the history endpoint's series (one point per step). Rates of
 * the counters come from the change between two steps; the endpoint's history has no
 * per-processor, per-partition or per-store series, so those charts start empty.
 */
export function pointsFromHistory(series: readonly HistorySeries[]): TimelinePoint[] {
  const byName = new Map(series.map((s) => [s.series, s.points] as const));
  const times = series[0]?.points.map(([t]) => t) ?? [];
  const at = (name: string, i: number): number | null => finite(byName.get(name)?.[i]?.[1] ?? null);
  const rate = (name: string, i: number): number | null => {
    if (i === 0) return null;
    const now = at(name, i);
    const before = at(name, i - 1);
    const seconds = ((times[i] ?? 0) - (times[i - 1] ?? 0)) / 1000;
    if (now === null || before === null || seconds <= 0) return null;
    return Math.max(0, now - before) / seconds;
  };
  return times.map((t, i) => {
    const point = emptyPoint(t);
    point.inRate = rate("records-in-total", i);
    point.outRate = rate("records-out-total", i);
    point.processRate = at("process-rate", i);
    point.lag = at("records-lag", i);
    point.commitLatency = at("commit-latency-avg", i);
    point.droppedRate = at("dropped-records-rate", i);
    point.restoreRemaining = at("restore-remaining-records-total", i);
    point.storeEntries = at("num-entries", i);
    return point;
  });
}

/**
 * Adds a live point: one in the newest point's bucket replaces it (more replicas have
 * reported); one older than the newest is ignored. Sets its lagSeconds from the consume
 * rate averaged over the last RATE_SMOOTHING_MS, and drops points older than the window.
 */
export function appendPoint(
  points: readonly TimelinePoint[],
  point: TimelinePoint,
  windowMs = WINDOW_MS,
): TimelinePoint[] {
  const newest = points[points.length - 1];
  if (newest && point.t < newest.t) return points as TimelinePoint[];
  const kept = newest && newest.t === point.t ? points.slice(0, -1) : points.slice();
  const recent = [...kept.filter((p) => p.t > point.t - RATE_SMOOTHING_MS), point];
  const rate = mean(recent.map(consumeRate).filter((r): r is number => r !== null));
  kept.push({ ...point, lagSeconds: estimateLagSeconds(point.lag, rate) });
  return trimWindow(kept, point.t, windowMs);
}

/**
 * Puts the history before the live points: history points at or after the first live
 * point are left out (the live ones are finer), and so are the steps before the first
 * report (a young deployment's charts span its life, not an empty window); then the
 * window is applied.
 */
export function seedHistory(
  live: readonly TimelinePoint[],
  history: readonly TimelinePoint[],
  windowMs = WINDOW_MS,
): TimelinePoint[] {
  const firstLive = live[0]?.t ?? Number.POSITIVE_INFINITY;
  const older = history
    .filter((p) => p.t < firstLive)
    .map((p, i, all) => {
      const recent = all.slice(0, i + 1).filter((q) => q.t > p.t - RATE_SMOOTHING_MS);
      const rate = mean(recent.map(consumeRate).filter((r): r is number => r !== null));
      return { ...p, lagSeconds: estimateLagSeconds(p.lag, rate) };
    });
  const firstReport = older.findIndex(hasValues);
  const merged = [...(firstReport === -1 ? [] : older.slice(firstReport)), ...live];
  const newest = merged[merged.length - 1];
  return newest ? trimWindow(merged, newest.t, windowMs) : [];
}

/** The points within `windowMs` before `now` (inclusive). */
export function trimWindow(points: readonly TimelinePoint[], now: number, windowMs = WINDOW_MS): TimelinePoint[] {
  const from = now - windowMs;
  const first = points.findIndex((p) => p.t >= from);
  return first === -1 ? [] : points.slice(first);
}

/**
 * Records per second a partition's committed offset moved over the last `windowMs`
 * (commits are periodic, so a longer window than one report is needed); null without
 * two commits to compare.
 */
export function partitionCommitRate(
  points: readonly TimelinePoint[],
  key: string,
  windowMs = COMMIT_RATE_WINDOW_MS,
): number | null {
  let last: { t: number; committed: number } | null = null;
  let first: { t: number; committed: number } | null = null;
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i]!;
    const committed = p.partitions[key]?.committed;
    if (committed === null || committed === undefined) continue;
    if (!last) last = { t: p.t, committed };
    else if (last.t - p.t > windowMs) break;
    first = { t: p.t, committed };
  }
  if (!last || !first || last.t === first.t) return null;
  return Math.max(0, last.committed - first.committed) / ((last.t - first.t) / 1000);
}

// -- chart data --------------------------------------------------------------------------

/** uPlot's data: x values (seconds since the epoch), then one column per series. */
export type ChartData = [number[], ...Array<Array<number | null>>];

/** Columns of the timeline, one per picker. */
export function chartColumns(
  points: readonly TimelinePoint[],
  pickers: ReadonlyArray<(p: TimelinePoint) => number | null>,
): ChartData {
  return [points.map((p) => p.t / 1000), ...pickers.map((pick) => points.map(pick))];
}

/**
 * Columns of a keyed value (per processor, partition, store), at most `maxKeys` of them:
 * the largest in the newest point that has the key first, so the busiest stay on the
 * chart; a point without a key has null (a gap) there.
 */
export function keyedColumns(
  points: readonly TimelinePoint[],
  pick: (p: TimelinePoint) => Readonly<Record<string, number | null | undefined>>,
  maxKeys = 8,
): { keys: string[]; data: ChartData } {
  const latest = new Map<string, number>();
  for (const p of points) {
    for (const [key, value] of Object.entries(pick(p))) {
      if (typeof value === "number" && Number.isFinite(value)) latest.set(key, value);
      else if (!latest.has(key)) latest.set(key, Number.NEGATIVE_INFINITY);
    }
  }
  const keys = [...latest.entries()]
    .sort(([a, va], [b, vb]) => vb - va || a.localeCompare(b, undefined, { numeric: true }))
    .slice(0, maxKeys)
    .map(([key]) => key)
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const columns = keys.map((key) => points.map((p) => finite(pick(p)[key] ?? null)));
  return { keys, data: [points.map((p) => p.t / 1000), ...columns] };
}

/**
 * At most `maxPoints` points, each the mean of a run of consecutive points (null where a
 * run has no value, so gaps survive) at the run's last x, so the newest value stays
 * where it is.
 */
export function downsample(data: ChartData, maxPoints: number): ChartData {
  const [xs, ...columns] = data;
  if (maxPoints < 1 || xs.length <= maxPoints) return data;
  const size = Math.ceil(xs.length / maxPoints);
  const outX: number[] = [];
  const outColumns = columns.map(() => [] as Array<number | null>);
  for (let start = 0; start < xs.length; start += size) {
    const end = Math.min(xs.length, start + size);
    outX.push(xs[end - 1]!);
    columns.forEach((column, c) => {
      const values = column.slice(start, end).filter((v): v is number => v !== null && Number.isFinite(v));
      outColumns[c]!.push(values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);
    });
  }
  return [outX, ...outColumns];
}

/** The newest non-null value of each column; null where a column has none. */
export function latestValues(data: ChartData): Array<number | null> {
  const [, ...columns] = data;
  return columns.map((column) => {
    for (let i = column.length - 1; i >= 0; i--) {
      const v = column[i];
      if (v !== null && v !== undefined && Number.isFinite(v)) return v;
    }
    return null;
  });
}

/** "Records per second, latest: in 12 rec/s, out 4 rec/s" (the charts' accessible name). */
export function describeLatest(
  title: string,
  labels: readonly string[],
  values: ReadonlyArray<number | null>,
  format: (v: number) => string,
): string {
  if (labels.length === 0) return `${title}: no data yet`;
  const parts = labels.map((label, i) => {
    const v = values[i];
    return `${label} ${v === null || v === undefined ? "no data" : format(v)}`;
  });
  return `${title}, latest: ${parts.join(", ")}`;
}

// -- helpers -----------------------------------------------------------------------------

const GAUGES = [
  "inRate",
  "outRate",
  "processRate",
  "lag",
  "e2eLatency",
  "processLatency",
  "commitLatency",
  "droppedRate",
  "errorRate",
  "restoreRemaining",
  "storeEntries",
] as const;

function hasValues(p: TimelinePoint): boolean {
  return GAUGES.some((name) => p[name] !== null);
}

function consumeRate(p: TimelinePoint): number | null {
  return p.processRate ?? p.inRate;
}

function errorKey(e: ProcessingErrorReport): string {
  return [e.node, e.topic, e.partition, e.offset, e.timestamp, e.message].join("\u0000");
}

function finite(value: number | null | undefined): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function addNullable(sum: number | null, value: number | null): number | null {
  if (value === null) return sum;
  return (sum ?? 0) + value;
}

function mean(values: readonly number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}
