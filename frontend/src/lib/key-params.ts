// The few parameters worth printing on a node on the canvas: topics, expressions,
// stores and window sizes. Everything else lives in the inspector.
import type { JsonSchema } from "../types/catalog";
import { formatDurationMs } from "./format";

export interface KeyParam {
  name: string;
  label: string;
  value: string;
  /** Expressions are shown in a monospace face. */
  code: boolean;
}

const PRIORITY: Array<[RegExp, boolean]> = [
  [/^topics?$|topic/, false],
  [/expr|predicate|mapper|selector|joiner|aggregator|reducer|adder|subtractor|initializer|extractor|merger|condition|key_fn|value_fn/, true],
  [/store/, false],
  [/size|advance|grace|gap|difference|before|after|window|retention|limit/, false],
];

const MAX_TEXT = 44;

/**
 * Chooses up to `max` parameters in the order: topics, expressions, stores, window
 * sizes. Labels come from the JSON Schema's `title` when present.
 */
export function keyParams(
  params: Record<string, unknown>,
  schema?: JsonSchema,
  max = 3,
): KeyParam[] {
  const chosen: KeyParam[] = [];
  const names = Object.keys(params);
  for (const [pattern, code] of PRIORITY) {
    for (const name of names) {
      if (chosen.length >= max) return chosen;
      if (chosen.some((p) => p.name === name)) continue;
      if (!pattern.test(name.toLowerCase())) continue;
      const value = describeParamValue(name, params[name]);
      if (value === null) continue;
      const isExpression =
        code || schema?.properties?.[name]?.format === "expression";
      chosen.push({ name, label: paramLabel(name, schema), value: truncate(value), code: isExpression });
    }
  }
  return chosen;
}

/** The schema's title for a parameter, else the name with underscores as spaces. */
export function paramLabel(name: string, schema?: JsonSchema): string {
  const title = schema?.properties?.[name]?.title;
  if (typeof title === "string" && title.trim()) return title;
  return name.replace(/_/g, " ");
}

/**
 * A parameter value as short text, or null when there is nothing to show. Durations
 * (names ending in `_ms`) are printed with their unit.
 */
export function describeParamValue(name: string, value: unknown): string | null {
  if (value === null || value === undefined || value === "") return null;
  if (Array.isArray(value)) {
    const parts = value.map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
    return parts.length ? parts.join(", ") : null;
  }
  if (typeof value === "number") {
    return /_ms$|ms$/.test(name) ? formatDurationMs(value) : String(value);
  }
  if (typeof value === "string" || typeof value === "boolean") return String(value);
  if (typeof value === "object") {
    const window = describeWindow(value as Record<string, unknown>);
    return window ?? JSON.stringify(value);
  }
  return String(value);
}

/** A window object such as {size_ms: 5000, advance_ms: 1000} as "5 s, advance 1 s". */
function describeWindow(value: Record<string, unknown>): string | null {
  const size = value.size_ms ?? value.size;
  if (typeof size !== "number") return null;
  const parts = [formatDurationMs(size)];
  const advance = value.advance_ms ?? value.advance;
  if (typeof advance === "number" && advance !== size) parts.push(`advance ${formatDurationMs(advance)}`);
  const grace = value.grace_ms ?? value.grace;
  if (typeof grace === "number") parts.push(grace === 0 ? "no grace" : `grace ${formatDurationMs(grace)}`);
  return parts.join(", ");
}

function truncate(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > MAX_TEXT ? `${oneLine.slice(0, MAX_TEXT - 1)}…` : oneLine;
}
