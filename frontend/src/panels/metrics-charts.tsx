// The dashboard's live charts over the last minutes: throughput, per-processor rates,
// latency, lag (records and seconds), state store sizes, errors.
import { memo, useMemo } from "react";
import { type ChartSeries, TimeSeriesChart } from "../components/chart";
import { formatCompact, formatCount, formatRate } from "../lib/format";
import { type TimelinePoint, chartColumns, formatLagSeconds, keyedColumns } from "../lib/series";
import { useDeploymentStore } from "../store/deployment-context";
import { useTimelineStore } from "../store/timeline-context";

/** Colours for keyed series (processors, partitions, stores), from tokens.css. */
const PALETTE = [
  "--accent",
  "--ok",
  "--family-aggregate",
  "--family-window",
  "--family-join",
  "--family-sink",
  "--family-source",
  "--family-processor",
];
const MAX_KEYS = PALETTE.length;

const rate = (v: number) => `${formatRate(v)} rec/s`;
const records = (v: number) => (Math.abs(v) >= 10_000 ? formatCompact(v) : formatCount(v));
const millis = (v: number) => `${v < 10 ? trimZeros(v.toFixed(2)) : Math.round(v)} ms`;
const seconds = (v: number) => (v > 0 && v < 1 ? `${trimZeros(v.toFixed(2))} s` : formatLagSeconds(v));

export function MetricsCharts() {
  const points = useTimelineStore((s) => s.points);
  const history = useTimelineStore((s) => s.history);
  const historyError = useTimelineStore((s) => s.historyError);
  const windowMinutes = useTimelineStore((s) => Math.round(s.windowMs / 60_000));
  const applicationId = useDeploymentStore((s) => s.deployment?.application_id ?? "");

  return (
    <section className="panel charts-panel" aria-labelledby="charts-title">
      <div className="panel__title-row">
        <h2 id="charts-title" className="panel__title panel__title--small">
          Live metrics
        </h2>
        <span className="panel__title-aside" data-testid="charts-history" data-history={history}>
          {history === "loading"
            ? "loading the history…"
            : history === "unavailable"
              ? `last ${windowMinutes} min, live only (history unavailable)`
              : `last ${windowMinutes} min`}
        </span>
      </div>
      {history === "unavailable" && historyError && (
        <p className="muted charts-note" role="status">
          The metrics history could not be read ({historyError}); the charts fill from the live feed.
        </p>
      )}
      <div className="chart-grid">
        <ThroughputChart points={points} />
        <NodeRatesChart points={points} />
        <LagChart points={points} applicationId={applicationId} />
        <LagSecondsChart points={points} />
        <LatencyChart points={points} />
        <StoresChart points={points} />
        <ErrorsChart points={points} />
      </div>
    </section>
  );
}

type ChartProps = { points: TimelinePoint[] };

const THROUGHPUT_SERIES: ChartSeries[] = [
  { label: "in", color: "--accent", fill: true },
  { label: "out", color: "--ok" },
];

const ThroughputChart = memo(function ThroughputChart({ points }: ChartProps) {
  const data = useMemo(() => chartColumns(points, [(p) => p.inRate, (p) => p.outRate]), [points]);
  return (
    <TimeSeriesChart
      title="Records per second"
      series={THROUGHPUT_SERIES}
      data={data}
      format={rate}
      testId="chart-throughput"
    />
  );
});

const NodeRatesChart = memo(function NodeRatesChart({ points }: ChartProps) {
  const { keys, data } = useMemo(() => keyedColumns(points, (p) => p.nodes, MAX_KEYS), [points]);
  const series = useKeyedSeries(keys);
  return (
    <TimeSeriesChart
      title="Process rate by processor"
      series={series}
      data={data}
      format={rate}
      emptyText="No processor has reported yet"
      testId="chart-node-rates"
    />
  );
});

const LagChart = memo(function LagChart({ points, applicationId }: ChartProps & { applicationId: string }) {
  const { keys, data } = useMemo(() => {
    const byPartition = keyedColumns(
      points,
      (p) => Object.fromEntries(Object.entries(p.partitions).map(([k, v]) => [k, v.lag])),
      MAX_KEYS - 1,
    );
    const [x, ...columns] = byPartition.data;
    return {
      keys: ["total", ...byPartition.keys],
      data: [x, points.map((p) => p.lag), ...columns] as typeof byPartition.data,
    };
  }, [points]);
  const series = useMemo(
    (): ChartSeries[] =>
      keys.map((key, i) =>
        i === 0
          ? { label: "total", color: "--text", fill: true }
          : { label: shortTopic(key, applicationId), color: PALETTE[(i - 1) % PALETTE.length]! },
      ),
    [keys, applicationId],
  );
  return (
    <TimeSeriesChart
      title="Consumer lag (records)"
      series={series}
      data={data}
      format={records}
      testId="chart-lag"
    />
  );
});

const LAG_SECONDS_SERIES: ChartSeries[] = [{ label: "time to catch up", color: "--pending", fill: true }];

const LagSecondsChart = memo(function LagSecondsChart({ points }: ChartProps) {
  const data = useMemo(() => chartColumns(points, [(p) => p.lagSeconds]), [points]);
  return (
    <TimeSeriesChart
      title="Consumer lag (estimated seconds)"
      series={LAG_SECONDS_SERIES}
      data={data}
      format={seconds}
      aside={<span title="Total lag divided by the records processed per second over the last 30 s">lag ÷ rate</span>}
      testId="chart-lag-seconds"
    />
  );
});

const LATENCY_SERIES: ChartSeries[] = [
  { label: "end to end", color: "--family-sink" },
  { label: "process (per record)", color: "--family-aggregate" },
  { label: "commit", color: "--family-window", dash: [4, 3] },
];

const LatencyChart = memo(function LatencyChart({ points }: ChartProps) {
  const data = useMemo(
    () => chartColumns(points, [(p) => p.e2eLatency, (p) => p.processLatency, (p) => p.commitLatency]),
    [points],
  );
  return (
    <TimeSeriesChart
      title="Latency"
      series={LATENCY_SERIES}
      data={data}
      format={millis}
      aside={
        <span title="End to end: the slowest sink's mean time from a record's timestamp to its write (Kafka Streams' record-e2e-latency-avg); process and commit: the stream threads' means (process-latency-avg, commit-latency-avg)">
          means
        </span>
      }
      testId="chart-latency"
    />
  );
});

const StoresChart = memo(function StoresChart({ points }: ChartProps) {
  const { keys, data } = useMemo(() => {
    const byStore = keyedColumns(points, (p) => p.stores, MAX_KEYS - 1);
    // The history has only the total; with one store the total is that store's line.
    if (byStore.keys.length === 1) return byStore;
    const [x, ...columns] = byStore.data;
    return { keys: ["all stores", ...byStore.keys], data: [x, points.map((p) => p.storeEntries), ...columns] as typeof byStore.data };
  }, [points]);
  const series = useKeyedSeries(keys);
  return (
    <TimeSeriesChart
      title="State store entries"
      series={series}
      data={data}
      format={records}
      emptyText="No state store has reported"
      testId="chart-stores"
    />
  );
});

const ERROR_SERIES: ChartSeries[] = [
  { label: "record errors", color: "--bad", fill: true },
  { label: "dropped records", color: "--pending", dash: [4, 3] },
];

const ErrorsChart = memo(function ErrorsChart({ points }: ChartProps) {
  const data = useMemo(() => chartColumns(points, [(p) => p.errorRate, (p) => p.droppedRate]), [points]);
  return (
    <TimeSeriesChart
      title="Errors per second"
      series={ERROR_SERIES}
      data={data}
      format={(v) => `${formatRate(v)}/s`}
      aside={
        <span title="Record errors: new entries in the replicas' error lists. Dropped: records skipped by a log-and-continue handler, late for their window, or with an invalid timestamp (dropped-records-rate).">
          errors and drops
        </span>
      }
      testId="chart-errors"
    />
  );
});

function useKeyedSeries(keys: readonly string[]): ChartSeries[] {
  const signature = keys.join("\u0000");
  return useMemo(
    () => keys.map((key, i) => ({ label: key, color: PALETTE[i % PALETTE.length]! })),
    // The keys' content, not the array's identity, decides.
    [signature],
  );
}

/** Internal topics without the application.id they all start with. */
function shortTopic(key: string, applicationId: string): string {
  return applicationId && key.startsWith(`${applicationId}-`) ? `…${key.slice(applicationId.length)}` : key;
}

function trimZeros(text: string): string {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}
