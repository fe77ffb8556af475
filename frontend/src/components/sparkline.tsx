// A compact SVG sparkline: enough for a rate trend in a stat card, no chart library.

export function Sparkline({
  values,
  width = 160,
  height = 36,
  label,
  className,
}: {
  values: readonly number[];
  width?: number;
  height?: number;
  /** Accessible description, e.g. "Records in per second, last 90 s". */
  label: string;
  className?: string;
}) {
  const max = Math.max(1e-9, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const y = (v: number) => height - 2 - (Math.max(0, v) / max) * (height - 4);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${y(v).toFixed(1)}`);
  const line = points.length > 1 ? `M${points.join("L")}` : "";
  const area = line ? `${line}L${width},${height}L0,${height}Z` : "";
  return (
    <svg
      className={`sparkline ${className ?? ""}`}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
      preserveAspectRatio="none"
    >
      {area && <path className="sparkline__area" d={area} />}
      {line && <path className="sparkline__line" d={line} />}
      {!line && <line className="sparkline__empty" x1="0" x2={width} y1={height - 2} y2={height - 2} />}
    </svg>
  );
}
