// The test bench's pure parts: sample records typed or uploaded as JSON lines become the
// steps of POST /api/try/, and its answer becomes what the panel and the canvas show.
import type { TopologyDocument } from "../types/document";
import type {
  BrowsedRecord,
  JsonValue,
  TryHeader,
  TryRecordInput,
  TryResult,
  TryStep,
} from "../types/try-it";

/** The most steps one run takes (the backend refuses more). */
export const MAX_STEPS = 1000;

const ENVELOPE_FIELDS = new Set(["topic", "key", "value", "timestamp", "headers"]);
const ADVANCE = "advance_wall_clock_ms";

export interface LineError {
  /** 1-based line of the text. */
  line: number;
  message: string;
}

export interface ParsedSteps {
  steps: TryStep[];
  /** The line each step came from (same order as `steps`). */
  lines: number[];
  errors: LineError[];
}

/** The topics the document's sources read, in document order. */
export function sourceTopics(document: TopologyDocument): string[] {
  const found: string[] = [];
  for (const node of document.nodes) {
    if (!node.type.startsWith("source.")) continue;
    const { topics, topic } = node.params as { topics?: unknown; topic?: unknown };
    const names = Array.isArray(topics) ? topics : typeof topic === "string" ? [topic] : [];
    for (const name of names) {
      if (typeof name === "string" && name !== "" && !found.includes(name)) found.push(name);
    }
  }
  return found;
}

/** The serdes the source reading `topic` uses (its own, else the document's defaults). */
export function sourceSerdes(
  document: TopologyDocument,
  topic: string,
): { keySerde: string; valueSerde: string } {
  const settings = (document.settings ?? {}) as { default_key_serde?: unknown; default_value_serde?: unknown };
  const defaultKey = typeof settings.default_key_serde === "string" ? settings.default_key_serde : "string";
  const defaultValue = typeof settings.default_value_serde === "string" ? settings.default_value_serde : "string";
  const source = document.nodes.find((node) => {
    if (!node.type.startsWith("source.")) return false;
    const { topics, topic: single } = node.params as { topics?: unknown; topic?: unknown };
    return (Array.isArray(topics) && topics.includes(topic)) || single === topic;
  });
  const params = (source?.params ?? {}) as { key_serde?: unknown; value_serde?: unknown };
  return {
    keySerde: typeof params.key_serde === "string" && params.key_serde ? params.key_serde : defaultKey,
    valueSerde: typeof params.value_serde === "string" && params.value_serde ? params.value_serde : defaultValue,
  };
}

/**
 * Parses one step per line: `{"topic"?, "key"?, "value", "timestamp"?, "headers"?}` is a
 * record (an object with a `value` and no other fields), `{"advance_wall_clock_ms": n}`
 * moves the wall clock, and any other JSON value is a record's value with a null key.
 * A line that is not JSON and does not start like an object, array or string (`{`, `[`,
 * `"`) is text: a value with a null key, as typed. Blank lines and lines starting with
 * `#` are skipped. Records without a topic go to `defaultTopic`.
 */
export function parseSteps(text: string, defaultTopic: string | null): ParsedSteps {
  const steps: TryStep[] = [];
  const lines: number[] = [];
  const errors: LineError[] = [];
  const rows = text.split(/\r?\n/);
  rows.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    let parsed: JsonValue;
    try {
      parsed = JSON.parse(trimmed) as JsonValue;
    } catch (error) {
      if (!/^[{["]/.test(trimmed)) {
        parsed = raw;
      } else {
        errors.push({ line, message: `not JSON (${error instanceof Error ? error.message : String(error)})` });
        return;
      }
    }
    const step = toStep(parsed, defaultTopic);
    if (typeof step === "string") {
      errors.push({ line, message: step });
      return;
    }
    steps.push(step);
    lines.push(line);
  });
  if (steps.length > MAX_STEPS) {
    errors.push({ line: lines[MAX_STEPS] ?? rows.length, message: `a run takes at most ${MAX_STEPS} steps; this text has ${steps.length}` });
  }
  return { steps, lines, errors };
}

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The step a parsed line stands for, or why it is not one. */
function toStep(parsed: JsonValue, defaultTopic: string | null): TryStep | string {
  if (isObject(parsed) && ADVANCE in parsed) {
    if (Object.keys(parsed).length !== 1) return `"${ADVANCE}" stands alone on its line`;
    const ms = parsed[ADVANCE];
    if (typeof ms !== "number" || !Number.isSafeInteger(ms) || ms < 0) {
      return `"${ADVANCE}" must be a whole number of milliseconds, 0 or more`;
    }
    return { advance_wall_clock_ms: ms };
  }
  const envelope = isObject(parsed) && "value" in parsed && Object.keys(parsed).every((k) => ENVELOPE_FIELDS.has(k));
  const record: TryRecordInput = envelope ? {} : { key: null, value: parsed };
  if (envelope) {
    const { topic, key, value, timestamp, headers } = parsed as Record<string, JsonValue | undefined>;
    if (topic !== undefined && (typeof topic !== "string" || topic === "")) return '"topic" must be a topic name';
    if (timestamp !== undefined && timestamp !== null) {
      if (typeof timestamp !== "number" || !Number.isSafeInteger(timestamp) || timestamp < 0) {
        return '"timestamp" must be a whole number of milliseconds, 0 or more';
      }
      record.timestamp = timestamp;
    }
    if (headers !== undefined && headers !== null) {
      const parsedHeaders = toHeaders(headers);
      if (parsedHeaders === null) return '"headers" must be [{"key": text, "value": text}] or {name: text}';
      if (parsedHeaders.length > 0) record.headers = parsedHeaders;
    }
    if (typeof topic === "string") record.topic = topic;
    record.key = key ?? null;
    record.value = value ?? null;
  }
  record.topic ??= defaultTopic ?? undefined;
  if (!record.topic) return "no topic: the document reads none, so each record must name one";
  return { record };
}

function toHeaders(raw: JsonValue): TryHeader[] | null {
  if (Array.isArray(raw)) {
    const out: TryHeader[] = [];
    for (const item of raw) {
      if (!isObject(item) || typeof item.key !== "string" || typeof item.value !== "string") return null;
      out.push({ key: item.key, value: item.value });
    }
    return out;
  }
  if (isObject(raw)) {
    const out: TryHeader[] = [];
    for (const [key, value] of Object.entries(raw)) {
      if (typeof value !== "string") return null;
      out.push({ key, value });
    }
    return out;
  }
  return null;
}

/** The line that adds a wall-clock advance of `ms`. */
export function advanceLine(ms: number): string {
  return JSON.stringify({ [ADVANCE]: ms });
}

/** `text` with `addition` (one or more lines) after its last line. */
export function appendLines(text: string, addition: string): string {
  if (addition === "") return text;
  if (text === "" || text.endsWith("\n")) return text + addition;
  return `${text}\n${addition}`;
}

/**
 * Records read from a topic as lines for the bench, oldest first (the test driver has
 * one partition: records of several are put in timestamp order). Records whose key or
 * value could not be read with the serdes are left out and counted.
 */
export function capturedLines(records: readonly BrowsedRecord[], topic: string): { text: string; skipped: number } {
  const readable = records.filter((r) => !r.key_error && !r.value_error);
  const ordered = [...readable].sort(
    (a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset,
  );
  const text = ordered
    .map((r) => {
      const headers = r.headers
        .filter((h) => typeof h.value === "string" && (h.encoding ?? "utf-8") !== "base64")
        .map((h) => ({ key: h.key, value: h.value as string }));
      const line: Record<string, JsonValue> = { topic, key: r.key, value: r.value, timestamp: r.timestamp };
      if (headers.length > 0) line.headers = headers;
      return JSON.stringify(line);
    })
    .join("\n");
  return { text, skipped: records.length - readable.length };
}

/** Where an answer's problem path points: `steps.3.record.value` → step 3, "record.value". */
export function stepOfPath(path: string): { step: number; field: string } | null {
  const match = /^steps\.(\d+)(?:\.(.+))?$/.exec(path);
  if (!match) return null;
  return { step: Number(match[1]), field: match[2] ?? "" };
}

/** "line 7" for a step index, when the parse knows its line. */
export function stepLabel(step: number | null, lines: readonly number[]): string {
  if (step === null) return "at start";
  const line = lines[step];
  return line === undefined ? `step ${step + 1}` : `line ${line}`;
}

export interface NodeCount {
  count: number;
  /** More went through than the answer holds. */
  truncated: boolean;
  /** The node failed on at least one record. */
  failed: boolean;
}

/** Per document node: how many records it passed on and whether it failed (for the canvas). */
export function nodeCounts(result: TryResult): Record<string, NodeCount> {
  const counts: Record<string, NodeCount> = {};
  for (const [id, node] of Object.entries(result.nodes)) {
    counts[id] = { count: node.records.length, truncated: node.truncated, failed: false };
  }
  for (const error of result.errors) {
    if (!error.node_id) continue;
    const entry = (counts[error.node_id] ??= { count: 0, truncated: false, failed: false });
    entry.failed = true;
  }
  return counts;
}

/** A key or value as one line of text: JSON, with text in quotes; null as "null". */
export function formatJsonValue(value: JsonValue): string {
  return JSON.stringify(value) ?? "null";
}

/**
 * Stream-time control: each record without a timestamp is given `start`, `start + step`,
 * `start + 2·step`, ... in the order the records run (one sequence across topics), as
 * Kafka's TestInputTopic does with a start time and an auto-advance. Records with a
 * timestamp keep it and do not move the sequence. Without this, such records take the
 * test driver's wall-clock time.
 */
export function withAutoTimestamps(steps: TryStep[], start: number, step: number): TryStep[] {
  let next = start;
  return steps.map((s) => {
    if (!("record" in s) || s.record.timestamp !== undefined) return s;
    const stamped: TryStep = { record: { ...s.record, timestamp: next } };
    next += step;
    return stamped;
  });
}
