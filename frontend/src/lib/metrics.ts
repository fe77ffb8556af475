// Merging the engine's per-replica metrics snapshots into one dashboard view.
// Replicas own disjoint tasks (partitions), so per-node counters and rates add up;
// a partition reported by two replicas (mid-rebalance) is taken from the newer report.
import type {
  MetricsSnapshot,
  OutputSample,
  PartitionLag,
  ProcessingErrorReport,
} from "../types/metrics";

export const MAX_SAMPLES = 50;
export const MAX_ERRORS = 50;
/** Replicas whose last report is older than this (vs. the newest) are left out; it
 * matches the TTL of the metrics key in Redis. */
export const STALE_AFTER_MS = 30_000;

export interface NodeRate {
  /** Processor name as the engine reports it. */
  name: string;
  rate: number;
  total: number;
  /** The document node this processor belongs to, when one matches. */
  documentNode: string | null;
}

export interface MergedMetrics {
  replicas: string[];
  state: string | null;
  tasks: string[];
  nodes: NodeRate[];
  partitions: PartitionLag[];
  totalLag: number;
  samples: OutputSample[];
  errors: ProcessingErrorReport[];
  totals: { recordsIn: number; recordsOut: number };
  /** Newest snapshot timestamp, epoch ms; null with no snapshot. */
  updatedAt: number | null;
  /** Replicas that cannot reach a Kafka broker; null when every replica can (or says nothing). */
  brokerOutage: BrokerOutage | null;
}

export interface BrokerOutage {
  replicas: string[];
  /** Epoch ms since when the first of them has been cut off. */
  since: number | null;
  detail: string;
}

export const EMPTY_METRICS: MergedMetrics = {
  replicas: [],
  state: null,
  tasks: [],
  nodes: [],
  partitions: [],
  totalLag: 0,
  samples: [],
  errors: [],
  totals: { recordsIn: 0, recordsOut: 0 },
  updatedAt: null,
  brokerOutage: null,
};

const STATE_SEVERITY = [
  "ERROR",
  "PENDING_SHUTDOWN",
  "NOT_RUNNING",
  "REBALANCING",
  "CREATED",
  "RUNNING",
];

/**
 * Combines the application states of all replicas: the most alarming wins, so one
 * replica in ERROR makes the deployment ERROR and one rebalancing makes it REBALANCING.
 */
export function combineStates(states: readonly string[]): string | null {
  if (states.length === 0) return null;
  let best: string = states[0]!;
  let bestRank = rank(best);
  for (const state of states.slice(1)) {
    const r = rank(state);
    if (r < bestRank) {
      best = state;
      bestRank = r;
    }
  }
  return best;
}

function rank(state: string): number {
  const i = STATE_SEVERITY.indexOf(state);
  return i === -1 ? STATE_SEVERITY.length : i;
}

/**
 * Maps an engine processor name to the document node it was compiled from. Node ids are
 * passed to the DSL as `name=`, so a processor is either named after its node or
 * derived from it with a suffix ("counts-repartition-sink"); the longest id wins.
 */
export function documentNodeFor(processor: string, nodeIds: readonly string[]): string | null {
  let best: string | null = null;
  for (const id of nodeIds) {
    if (processor === id) return id;
    if (processor.startsWith(`${id}-`) && (best === null || id.length > best.length)) best = id;
  }
  return best;
}

/** Leaves out replicas whose report is much older than the newest one. */
export function freshSnapshots(
  byReplica: Readonly<Record<string, MetricsSnapshot>>,
  staleAfterMs = STALE_AFTER_MS,
): Array<[string, MetricsSnapshot]> {
  const entries = Object.entries(byReplica);
  const newest = Math.max(...entries.map(([, s]) => s.timestamp ?? 0));
  return entries
    .filter(([, s]) => newest - (s.timestamp ?? 0) <= staleAfterMs)
    .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }));
}

export function mergeSnapshots(
  byReplica: Readonly<Record<string, MetricsSnapshot>>,
  documentNodeIds: readonly string[] = [],
): MergedMetrics {
  const snapshots = freshSnapshots(byReplica);
  if (snapshots.length === 0) return EMPTY_METRICS;

  const nodes = new Map<string, NodeRate>();
  const partitions = new Map<string, { lag: PartitionLag; at: number }>();
  const tasks = new Set<string>();
  let samples: OutputSample[] = [];
  let errors: ProcessingErrorReport[] = [];
  let recordsIn = 0;
  let recordsOut = 0;
  let updatedAt = 0;

  for (const [, snap] of snapshots) {
    updatedAt = Math.max(updatedAt, snap.timestamp ?? 0);
    for (const task of snap.tasks ?? []) tasks.add(task);
    for (const [name, counters] of Object.entries(snap.nodes ?? {})) {
      const current = nodes.get(name) ?? {
        name,
        rate: 0,
        total: 0,
        documentNode: documentNodeFor(name, documentNodeIds),
      };
      current.rate += finite(counters["process-rate"]);
      current.total += finite(counters["process-total"]);
      nodes.set(name, current);
    }
    for (const lag of snap.partitions ?? []) {
      const key = `${lag.topic}\u0000${lag.partition}`;
      const seen = partitions.get(key);
      if (!seen || seen.at < snap.timestamp) partitions.set(key, { lag, at: snap.timestamp });
    }
    samples = samples.concat(snap.samples ?? []);
    errors = errors.concat(snap.errors ?? []);
    recordsIn += finite(snap.totals?.["records-in"]);
    recordsOut += finite(snap.totals?.["records-out"]);
  }

  const partitionList = [...partitions.values()]
    .map((p) => p.lag)
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);

  return {
    replicas: snapshots.map(([id]) => id),
    state: combineStates(snapshots.map(([, s]) => s.state)),
    tasks: [...tasks].sort(compareTaskIds),
    nodes: [...nodes.values()].sort((a, b) => a.name.localeCompare(b.name)),
    partitions: partitionList,
    totalLag: partitionList.reduce((sum, p) => sum + Math.max(0, finite(p.lag)), 0),
    samples: newestFirst(dedupe(samples, sampleKey)).slice(0, MAX_SAMPLES),
    errors: newestFirst(dedupe(errors, errorKey)).slice(0, MAX_ERRORS),
    totals: { recordsIn, recordsOut },
    updatedAt,
    brokerOutage: brokerOutage(snapshots),
  };
}

/** Which replicas say they cannot reach a broker, since when (the earliest) and why. */
export function brokerOutage(snapshots: ReadonlyArray<[string, MetricsSnapshot]>): BrokerOutage | null {
  const down = snapshots.filter(([, s]) => s.broker?.reachable === false);
  if (down.length === 0) return null;
  const sinces = down.map(([, s]) => s.broker?.since).filter((t): t is number => typeof t === "number");
  const first = down.reduce((a, b) => ((a[1].broker?.since ?? Infinity) <= (b[1].broker?.since ?? Infinity) ? a : b));
  return {
    replicas: down.map(([id]) => id),
    since: sinces.length > 0 ? Math.min(...sinces) : null,
    detail: first[1].broker?.detail ?? "",
  };
}

/**
 * Process rate and total per document node. A node compiled into several processors
 * (an aggregation with its repartition sink and source) reports its own processor when
 * present, else the busiest of its processors, so records are not counted twice.
 */
export function documentNodeRates(
  nodes: readonly NodeRate[],
): Record<string, { rate: number; total: number }> {
  const out: Record<string, { rate: number; total: number; exact: boolean }> = {};
  for (const node of nodes) {
    if (!node.documentNode) continue;
    const exact = node.name === node.documentNode;
    const seen = out[node.documentNode];
    if (!seen || (exact && !seen.exact) || (!seen.exact && !exact && node.rate > seen.rate)) {
      out[node.documentNode] = { rate: node.rate, total: node.total, exact };
    }
  }
  return Object.fromEntries(
    Object.entries(out).map(([id, v]) => [id, { rate: v.rate, total: v.total }]),
  );
}

/**
 * The newest record per key: the current counts. `samples` is newest first, as
 * `mergeSnapshots` gives them; re-sorting here would lose the order of ties.
 */
export function latestByKey(samples: readonly OutputSample[]): OutputSample[] {
  const seen = new Map<string, OutputSample>();
  for (const sample of samples) {
    const key = `${sample.topic}\u0000${stableText(sample.key)}`;
    if (!seen.has(key)) seen.set(key, sample);
  }
  return [...seen.values()];
}

export interface ThroughputPoint {
  /** Epoch ms of the snapshot. */
  t: number;
  recordsIn: number;
  recordsOut: number;
  /** Records per second since the previous point; 0 for the first point. */
  inRate: number;
  outRate: number;
}

export const HISTORY_LENGTH = 90;

/**
 * Adds a point to the throughput history, computing rates from the change in the
 * totals. Replicas report one after another with the same timestamp, so a point with
 * the newest point's timestamp replaces it (its totals now include more replicas).
 * A restarted replica resets its counters, so a drop counts as zero, not as a negative
 * rate. Points older than the newest are ignored.
 */
export function appendThroughput(
  history: readonly ThroughputPoint[],
  t: number,
  totals: { recordsIn: number; recordsOut: number },
  maxLength = HISTORY_LENGTH,
): ThroughputPoint[] {
  const newest = history[history.length - 1];
  if (newest && t < newest.t) return history as ThroughputPoint[];
  const kept = newest && t === newest.t ? history.slice(0, -1) : [...history];
  const last = kept[kept.length - 1];
  const seconds = last ? (t - last.t) / 1000 : 0;
  const point: ThroughputPoint = {
    t,
    recordsIn: totals.recordsIn,
    recordsOut: totals.recordsOut,
    inRate: last && seconds > 0 ? Math.max(0, totals.recordsIn - last.recordsIn) / seconds : 0,
    outRate: last && seconds > 0 ? Math.max(0, totals.recordsOut - last.recordsOut) / seconds : 0,
  };
  const next = [...kept, point];
  return next.length > maxLength ? next.slice(next.length - maxLength) : next;
}

function finite(value: number | null | undefined): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

function compareTaskIds(a: string, b: string): number {
  const [sa = 0, pa = 0] = a.split("_").map(Number);
  const [sb = 0, pb = 0] = b.split("_").map(Number);
  return sa - sb || pa - pb || a.localeCompare(b);
}

/**
 * Records arrive oldest first; many share a timestamp (every word of one line carries the
 * line's), so on a tie the one that came later is the newer: reverse, then sort stably.
 */
function newestFirst<T extends { timestamp: number }>(items: T[]): T[] {
  return items.reverse().sort((a, b) => (b.timestamp ?? 0) - (a.timestamp ?? 0));
}

function dedupe<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const item of items) {
    const key = keyOf(item);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  return out;
}

function sampleKey(s: OutputSample): string {
  return [s.node, s.topic, stableText(s.key), stableText(s.value), s.timestamp].join("\u0000");
}

function errorKey(e: ProcessingErrorReport): string {
  return [e.node, e.topic, e.partition, e.offset, e.message].join("\u0000");
}

function stableText(value: unknown): string {
  if (typeof value === "string") return `s:${value}`;
  try {
    return `j:${JSON.stringify(value)}`;
  } catch {
    return `x:${String(value)}`;
  }
}
