// Turning what a person types as a moment or a span of time into what the API takes:
// ISO-8601 date-times with their zone, seconds, epoch milliseconds. Pure: the local
// zone comes in as a function so tests can fix it.

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** Minutes east of UTC in force at a zone-less local date-time ("2026-12-03T10:00"). */
export type OffsetOf = (local: string) => number;

/** The browser's zone (the offset can differ between dates: daylight saving time). */
export const browserOffset: OffsetOf = (local) => {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? -new Date().getTimezoneOffset() : -d.getTimezoneOffset();
};

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;
const ZONE_RE = /(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * A zone-less date-time as `<input type="datetime-local">` gives it, with the offset in
 * minutes east of UTC, as an ISO-8601 date-time with its zone: ("2026-12-03T10:00", 60)
 * → "2026-12-03T10:00:00+01:00". Null when it is not such a date-time.
 */
export function zonedIso(local: string, offsetMinutes: number): string | null {
  const m = LOCAL_RE.exec(local.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac] = m;
  if (!validDate(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s ?? 0))) return null;
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(Math.trunc(offsetMinutes));
  const zone = `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  const fraction = frac ? `.${frac.padEnd(3, "0")}` : "";
  return `${y}-${mo}-${d}T${h}:${mi}:${s ?? "00"}${fraction}${zone}`;
}

/**
 * A moment typed as epoch milliseconds ("1733220000000") or as an ISO-8601 date-time,
 * with a zone ("2026-12-03T10:00:00Z") or without (read in the zone `offsetOf` gives).
 * Returns epoch ms and the zoned ISO text.
 */
export function parseInstant(text: string, offsetOf: OffsetOf = browserOffset): Parsed<{ ms: number; iso: string }> {
  const t = text.trim();
  if (/^-?\d+$/.test(t)) {
    const ms = Number(t);
    if (!Number.isSafeInteger(ms)) return { ok: false, message: `${t} is too large for epoch milliseconds.` };
    return { ok: true, value: { ms, iso: new Date(ms).toISOString() } };
  }
  let iso: string | null;
  if (ZONE_RE.test(t)) {
    const body = t.replace(ZONE_RE, "");
    const zone = t.slice(body.length).toUpperCase();
    const offset = zone === "Z" ? 0 : zoneMinutes(zone);
    iso = zonedIso(body, offset);
    if (iso && zone !== "Z") iso = iso.slice(0, -6) + normalizeZone(zone);
  } else {
    iso = zonedIso(t, offsetOf(t.replace(" ", "T")));
  }
  if (!iso) {
    return { ok: false, message: `“${t}” is not a date-time (YYYY-MM-DDTHH:mm[:ss], optional zone) or epoch milliseconds.` };
  }
  return { ok: true, value: { ms: Date.parse(iso), iso } };
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, min: 60, h: 3600, d: 86_400, w: 604_800 };
const ISO_DURATION_RE = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/i;
const SHORT_PART_RE = /(\d+(?:\.\d+)?)\s*(ms|min|[smhdw])/gy;

/**
 * A span of time back, as seconds: a number of seconds ("3600"), ISO-8601 as Java's
 * Duration reads it ("PT1H30M", "P1DT2H"), or short units ("1h30m", "90 min", "2d").
 * Must be positive.
 */
export function parseDurationSeconds(text: string): Parsed<number> {
  const t = text.trim();
  const bad = { ok: false as const, message: `“${t}” is not a duration: use e.g. 1h30m, 90m, 2d, PT1H or a number of seconds.` };
  if (!t) return { ok: false, message: "Enter how far back to start, e.g. 1h or 30m." };
  let seconds: number;
  if (/^\d+(?:\.\d+)?$/.test(t)) {
    seconds = Number(t);
  } else if (/^P/i.test(t)) {
    const m = ISO_DURATION_RE.exec(t);
    if (!m || /T$/i.test(t) || !(m[1] || m[2] || m[3] || m[4])) return bad;
    seconds =
      Number(m[1] ?? 0) * 86_400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number((m[4] ?? "0").replace(",", "."));
  } else {
    const compact = t.toLowerCase();
    SHORT_PART_RE.lastIndex = 0;
    seconds = 0;
    let end = 0;
    for (let m = SHORT_PART_RE.exec(compact); m; m = SHORT_PART_RE.exec(compact)) {
      seconds += Number(m[1]) * (UNIT_SECONDS[m[2] ?? ""] ?? Number.NaN);
      end = SHORT_PART_RE.lastIndex;
      while (compact[end] === " ") end += 1;
      SHORT_PART_RE.lastIndex = end;
    }
    if (end !== compact.length) return bad;
  }
  if (!Number.isFinite(seconds)) return bad;
  if (seconds <= 0) return { ok: false, message: "The duration must be more than zero." };
  return { ok: true, value: seconds };
}

/** Seconds as a short span: 5400 → "1 h 30 min", 86400 → "1 d", 45 → "45 s". */
export function formatSpan(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return "0 s";
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [unit, size] of [["d", 86_400], ["h", 3600], ["min", 60], ["s", 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n} ${unit}`);
    rest -= n * size;
  }
  return parts.length ? parts.join(" ") : `${seconds} s`;
}

function validDate(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d <= days;
}

function zoneMinutes(zone: string): number {
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (!m) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === "-" ? -minutes : minutes;
}

function normalizeZone(zone: string): string {
  const minutes = zoneMinutes(zone);
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function pad(n: number): string {
  return n.toString().padStart(2, "0");
}
