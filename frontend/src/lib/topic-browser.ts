// The topic browser's rules: how typed text becomes a record's key or value, and how
// to page through records with the API's next_offsets.
import type {
  PartitionOffsets,
  RecordsPage,
  RecordsQuery,
  SerdeName,
  TopicInfo,
} from "../types/topics";

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * A key or value typed as text, as the produce endpoint takes it for `serde`: JSON for
 * json, a number for long, integer and double, base64 text for bytes, the text itself
 * for string. `asNull` sends null (no key, or a tombstone).
 */
export function parseTyped(text: string, serde: SerdeName, asNull = false): Parsed<unknown> {
  if (asNull) return { ok: true, value: null };
  switch (serde) {
    case "string":
      return { ok: true, value: text };
    case "json":
      try {
        return { ok: true, value: JSON.parse(text) as unknown };
      } catch (error) {
        return { ok: false, error: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
      }
    case "long":
    case "integer": {
      const trimmed = text.trim();
      if (!/^[-+]?\d+$/.test(trimmed)) return { ok: false, error: `a ${serde} is a whole number` };
      const n = Number(trimmed);
      if (!Number.isSafeInteger(n)) return { ok: false, error: `${trimmed} is too large to send exactly` };
      if (serde === "integer" && (n < -(2 ** 31) || n > 2 ** 31 - 1)) return { ok: false, error: `${trimmed} does not fit in 32 bits` };
      return { ok: true, value: n };
    }
    case "double": {
      const trimmed = text.trim();
      const n = Number(trimmed);
      if (trimmed === "" || !Number.isFinite(n)) return { ok: false, error: "a double is a finite number" };
      return { ok: true, value: n };
    }
    case "bytes": {
      const trimmed = text.trim();
      if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(trimmed)) {
        return { ok: false, error: "bytes are given as base64 text" };
      }
      return { ok: true, value: trimmed };
    }
  }
}

/**
 * A time typed by the user, as epoch milliseconds: digits are milliseconds already;
 * otherwise a date and time (a datetime-local input's value is local time; ISO text
 * with a zone is that instant). Null when it is neither.
 */
export function parseTimestamp(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) || ms < 0 ? null : ms;
}

/** Whether a partition has records left after `next` (its end offset is exclusive). */
const hasRecordsAfter = (next: number | undefined, partition: PartitionOffsets | undefined) =>
  next !== undefined && (partition === undefined || next < partition.high);

/**
 * The queries that read the page after `page`, which `query` read: each partition goes
 * on from its next offset. Reading all partitions, each partition still holding records
 * gets its own query (the API takes an offset for one partition only) with an even
 * share of the page's limit. Empty when every partition read is at its end.
 */
export function nextPageQueries(query: RecordsQuery, page: RecordsPage, partitions: readonly PartitionOffsets[]): RecordsQuery[] {
  const byNumber = new Map(partitions.map((p) => [p.partition, p]));
  const open = Object.entries(page.next_offsets)
    .map(([p, next]) => [Number(p), next] as const)
    .filter(([p, next]) => (query.partition === undefined || p === query.partition) && hasRecordsAfter(next, byNumber.get(p)))
    .sort((a, b) => a[0] - b[0]);
  const share = Math.max(1, Math.ceil(query.limit / Math.max(1, open.length)));
  return open.map(([partition, offset]) => ({
    key_serde: query.key_serde,
    value_serde: query.value_serde,
    partition,
    offset,
    limit: query.partition === undefined ? share : query.limit,
  }));
}

/** Pages read side by side (one per partition) as one page, in partition and offset order. */
export function mergePages(pages: readonly RecordsPage[]): RecordsPage {
  const records = pages.flatMap((p) => p.records).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  const next_offsets: Record<string, number> = {};
  for (const page of pages) Object.assign(next_offsets, page.next_offsets);
  return { records, next_offsets };
}

/** Topics whose name holds `text` (case-insensitively); internal ones only when asked. */
export function filterTopics(topics: readonly TopicInfo[], text: string, showInternal: boolean): TopicInfo[] {
  const needle = text.trim().toLowerCase();
  return topics.filter((t) => (showInternal || !t.internal) && (!needle || t.name.toLowerCase().includes(needle)));
}

/** The offsets a topic spans over its partitions (high − low); not a record count, as
 * compaction, transactions and some brokers leave gaps. */
export function offsetSpan(partitions: readonly PartitionOffsets[]): number {
  return partitions.reduce((sum, p) => sum + Math.max(0, p.high - p.low), 0);
}
