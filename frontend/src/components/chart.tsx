// A live time-series chart: uPlot made once per set of series, fed with setData, sized by
// a ResizeObserver and destroyed on unmount. Screen readers get the latest values, in
// the accessible name and in a visually hidden table.
import { type ReactNode, memo, useEffect, useId, useMemo, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { type ChartData, describeLatest, downsample, latestValues } from "../lib/series";

export interface ChartSeries {
  label: string;
  /** A CSS custom property of tokens.css ("--accent") or a colour. */
  color: string;
  dash?: number[];
  fill?: boolean;
}

export interface TimeSeriesChartProps {
  title: string;
  series: readonly ChartSeries[];
  /** x in seconds since the epoch, then one column per series. */
  data: ChartData;
  /** Formats a value with its unit, for the axis, the legend and the accessible name. */
  format: (value: number) => string;
  height?: number;
  /** Shown over the plot while it has no point. */
  emptyText?: string;
  /** Beside the title (a total, a note). */
  aside?: ReactNode;
  testId?: string;
}

const AXIS_FONT = "11px system-ui, sans-serif";

export const TimeSeriesChart = memo(function TimeSeriesChart({
  title,
  series,
  data,
  format,
  height = 160,
  emptyText = "Waiting for the first report…",
  aside,
  testId,
}: TimeSeriesChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const width = useRef(0);
  const latest = useRef({ data, format });
  latest.current = { data, format };
  const titleId = useId();
  // The plot is made again only when its series change (a processor or partition
  // appears); new data alone goes through setData.
  const signature = series.map((s) => `${s.label}\u0000${s.color}\u0000${s.dash ?? ""}\u0000${s.fill ?? ""}`).join("\n");

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    width.current = Math.max(120, Math.floor(element.clientWidth));
    const style = getComputedStyle(element);
    const color = (value: string) => (value.startsWith("--") ? style.getPropertyValue(value).trim() || "#2d5be3" : value);
    const muted = color("--text-muted");
    const grid = color("--border");
    const valueText = (v: number | null | undefined) =>
      v === null || v === undefined || !Number.isFinite(v) ? "—" : latest.current.format(v);
    const options: uPlot.Options = {
      width: width.current,
      height,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 6 } },
      scales: {
        x: { time: true },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        {
          stroke: muted,
          font: AXIS_FONT,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          values: (u, splits) => {
            const span = (u.scales.x?.max ?? 0) - (u.scales.x?.min ?? 0);
            return splits.map((s) => clock(s, span < 180));
          },
        },
        {
          stroke: muted,
          font: AXIS_FONT,
          size: 58,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          values: (_u, splits) => splits.map((v) => valueText(v)),
        },
      ],
      series: [
        { value: (_u, v) => (v == null ? "—" : new Date(v * 1000).toLocaleTimeString()) },
        ...series.map(
          (s): uPlot.Series => ({
            label: s.label,
            stroke: color(s.color),
            width: 1.6,
            dash: s.dash,
            fill: s.fill ? withAlpha(color(s.color), 0.12) : undefined,
            spanGaps: false,
            points: { show: false },
            value: (_u, v) => valueText(v),
          }),
        ),
      ],
    };
    const chart = new uPlot(options, toAligned(downsample(latest.current.data, width.current)), element);
    plot.current = chart;
    showLatest(chart);
    const observer = new ResizeObserver((entries) => {
      const next = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (next > 0 && next !== width.current) {
        width.current = next;
        chart.setSize({ width: next, height });
        chart.setData(toAligned(downsample(latest.current.data, next)));
        showLatest(chart);
      }
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [signature, height]);

  useEffect(() => {
    const chart = plot.current;
    if (!chart) return;
    chart.setData(toAligned(downsample(data, width.current || 600)));
    showLatest(chart);
  }, [data]);

  const values = useMemo(() => latestValues(data), [data]);
  const labels = series.map((s) => s.label);
  const summary = describeLatest(title, labels, values, format);
  const empty = data[0].length === 0;

  return (
    <figure className="chart" data-testid={testId} aria-labelledby={titleId}>
      <figcaption className="chart__head">
        <span id={titleId} className="chart__title">
          {title}
        </span>
        {aside && <span className="chart__aside">{aside}</span>}
      </figcaption>
      <div className="chart__body">
        <div ref={holder} className="chart__plot" role="img" aria-label={summary} style={{ minHeight: height }} />
        {empty && (
          <p className="chart__empty" aria-hidden="true">
            {emptyText}
          </p>
        )}
      </div>
      <table className="visually-hidden">
        <caption>{title}: latest values</caption>
        <tbody>
          {labels.map((label, i) => {
            const v = values[i];
            return (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td>{v === null || v === undefined ? "no data" : format(v)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </figure>
  );
});

/** Seconds since the epoch as local "14:05", or "14:05:30" on a short span. */
function clock(seconds: number, withSeconds: boolean): string {
  const d = new Date(seconds * 1000);
  const pad = (v: number) => v.toString().padStart(2, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ""}`;
}

/** Unless the pointer is over the plot, the legend shows the newest values. */
function showLatest(chart: uPlot) {
  const count = chart.data[0]?.length ?? 0;
  if (count > 0 && (chart.cursor.idx === null || chart.cursor.idx === undefined)) {
    chart.setLegend({ idx: count - 1 });
  }
}

function toAligned(data: ChartData): uPlot.AlignedData {
  return data as unknown as uPlot.AlignedData;
}

/** "#2d5be3" → "rgba(45, 91, 227, 0.12)"; other colour syntaxes are left as they are. */
function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) return color;
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => parseInt(h ?? "0", 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}
