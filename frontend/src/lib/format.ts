// Number, rate, duration and time formatting for the dashboard. Pure functions.

const GROUPED = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** Records per second, compact: "0", "0.25", "4.2", "118", "1.2k", "3.4M". */
export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond == null || !Number.isFinite(perSecond) || perSecond <= 0) return "0";
  if (perSecond < 1) return trimZeros(perSecond.toFixed(2));
  if (perSecond < 10) return trimZeros(perSecond.toFixed(1));
  if (perSecond < 1000) return Math.round(perSecond).toString();
  return formatCompact(perSecond);
}

/** Rate with its unit, as shown next to a node: "4.2 rec/s". */
export function formatRateWithUnit(perSecond: number | null | undefined): string {
  return `${formatRate(perSecond)} rec/s`;
}

/** Large counts compactly: 950 → "950", 1234 → "1.2k", 5_600_000 → "5.6M". */
export function formatCompact(n: number): string {
  const abs = Math.abs(n);
  const units: Array<[number, string]> = [
    [1e12, "T"],
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "k"],
  ];
  for (const [size, suffix] of units) {
    if (abs >= size) {
      const scaled = n / size;
      const text = Math.abs(scaled) < 10 ? scaled.toFixed(1) : Math.round(scaled).toString();
      return `${trimZeros(text)}${suffix}`;
    }
  }
  return Math.round(n).toString();
}

/** Exact counts with thousands separators; "—" when unknown. */
export function formatCount(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return "—";
  return GROUPED.format(n);
}

/** Milliseconds as a short duration: 500 → "500 ms", 5000 → "5 s", 90000 → "1.5 min". */
export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${trimZeros((ms / 1000).toFixed(1))} s`;
  if (ms < 3_600_000) return `${trimZeros((ms / 60_000).toFixed(1))} min`;
  if (ms < 86_400_000) return `${trimZeros((ms / 3_600_000).toFixed(1))} h`;
  return `${trimZeros((ms / 86_400_000).toFixed(1))} d`;
}

/** Epoch milliseconds as local "HH:MM:SS.mmm", the precision stream records need. */
export function formatClock(epochMs: number): string {
  if (!Number.isFinite(epochMs)) return "—";
  const d = new Date(epochMs);
  const pad = (v: number, width = 2) => v.toString().padStart(width, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** An ISO date from the API as "2024-11-25 14:03". */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (v: number) => v.toString().padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** How long ago, relative to `now`: "just now", "12 s ago", "3 min ago", "2 h ago", "4 d ago". */
export function formatAgo(epochMs: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - epochMs) / 1000));
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

/**
 * A record key or value as one line of text: strings as they are, null as "null",
 * everything else as compact JSON, cut at `max` characters.
 */
export function formatRecordField(value: unknown, max = 120): string {
  let text: string;
  if (value === null || value === undefined) text = "null";
  else if (typeof value === "string") text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function trimZeros(text: string): string {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}
