// What the expression editor offers at the cursor, from the text before it; and the
// field paths that sample records hold. No CodeMirror here: the editor adapts these.
//
// The language is runtime.spec's expression subset of Python (runtime/spec/expressions):
// fields are read by subscript (`value["amount"]`), `value.get("amount", 0)` or
// `json_get(value, "user.address.0.city")`; attribute access is only for the allowed
// methods (`.get`, `.lower`, ...) and Windowed keys' `key`, `window`, `start`, `end`, so a
// record field never follows a dot.

export interface ExpressionFunction {
  name: string;
  signature?: string;
  doc?: string;
}

export type CompletionSite =
  /** An identifier (maybe empty) where a name may be written: variables, functions, keywords. */
  | { kind: "name"; from: number; prefix: string }
  /** After `expr.`: the allowed methods. */
  | { kind: "method"; from: number; prefix: string }
  /** Inside the string of `value["...` / `value.get("...`; `path` is the fields already subscripted. */
  | { kind: "field"; from: number; prefix: string; quote: Quote; receiver: string; path: string[] }
  /** Inside json_get's dotted-path string: `json_get(value, "user.na`. */
  | { kind: "json-path"; from: number; prefix: string; quote: Quote; receiver: string; path: string[] };

export type Quote = '"' | "'";

export interface CompletionOption {
  label: string;
  type: "variable" | "function" | "method" | "property" | "keyword";
  detail?: string;
  info?: string;
  /** Text inserted instead of the label, when it differs. */
  apply?: string;
  /** Higher comes first among equal matches. */
  boost?: number;
}

export interface CompletionSources {
  variables: readonly string[];
  /** Dotted field paths of sample record values, as fieldPaths() makes them. */
  fields: readonly string[];
  functions: readonly ExpressionFunction[];
}

/** Variables whose fields are the sample records' value fields. */
export const RECORD_VARIABLES: readonly string[] = ["value", "left", "right"];

export const KEYWORDS: readonly string[] = ["and", "or", "not", "in", "is", "if", "else", "for", "None", "True", "False"];

// runtime/spec/expressions/guards.py: the allowed methods, by receiver type.
const STR_METHODS = [
  "capitalize", "casefold", "center", "count", "encode", "endswith", "find", "index", "isalnum", "isalpha",
  "isascii", "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "join",
  "ljust", "lower", "lstrip", "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex",
  "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase",
  "title", "upper", "zfill",
];
const METHOD_RECEIVERS: ReadonlyArray<[string, readonly string[]]> = [
  ["dict", ["get", "keys", "values", "items", "copy"]],
  ["str", STR_METHODS],
  ["bytes", ["count", "decode", "endswith", "find", "hex", "join", "replace", "split", "startswith", "strip"]],
  ["list", ["copy", "count", "index"]],
  ["tuple", ["count", "index"]],
  ["set", ["copy", "difference", "intersection", "isdisjoint", "issubset", "issuperset", "symmetric_difference", "union"]],
  ["int", ["bit_length"]],
  ["float", ["is_integer"]],
];
/** Data attributes of Windowed keys and their windows, read without a call. */
const DATA_ATTRIBUTES: ReadonlyArray<[string, string]> = [
  ["key", "the key of a Windowed key"],
  ["window", "the window of a Windowed key"],
  ["start", "window start (ms)"],
  ["end", "window end (ms, exclusive)"],
];

const IDENT = String.raw`[A-Za-z_][A-Za-z0-9_]*`;
const LITERAL = String.raw`(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')`;
// One field step: ["name"] or .get("name") or .get("name", default-without-parentheses).
const STEP = String.raw`(?:\[\s*${LITERAL}\s*\]|\.get\(\s*${LITERAL}\s*(?:,[^()\n]*)?\))`;
const FIELD_OPEN = new RegExp(String.raw`(?<![\w.])(${IDENT})((?:\s*${STEP})*)\s*(?:\[|\.get\()\s*$`);
const JSON_GET_OPEN = new RegExp(String.raw`(?<![\w.])json_get\(\s*(${IDENT})((?:\s*${STEP})*)\s*,\s*$`);
const STEP_LITERAL = new RegExp(LITERAL, "g");

/**
 * Where the cursor is, judged from the text before it: in a string, which field
 * string; otherwise the identifier being written. Null where nothing applies (inside
 * other strings, comments, numbers).
 */
export function completionSite(before: string): CompletionSite | null {
  const scan = scanStrings(before);
  if (scan.inComment) return null;
  if (scan.openString) {
    const { start, quote, prefixLength, triple } = scan.openString;
    if (triple || prefixLength > 0) return null; // f-strings, raw and byte strings, docstrings: not fields
    const head = before.slice(0, start);
    const content = unescape(before.slice(start + 1));
    const from = start + 1;
    const json = JSON_GET_OPEN.exec(head);
    if (json) {
      return { kind: "json-path", from, prefix: content, quote, receiver: json[1] ?? "", path: stepNames(json[2] ?? "") };
    }
    const field = FIELD_OPEN.exec(head);
    if (field) {
      return { kind: "field", from, prefix: content, quote, receiver: field[1] ?? "", path: stepNames(field[2] ?? "") };
    }
    return null;
  }
  const ident = /[A-Za-z_][A-Za-z0-9_]*$/.exec(before);
  const prefix = ident ? ident[0] : "";
  const from = before.length - prefix.length;
  const previous = before.slice(0, from);
  if (/[0-9]$/.test(previous) && prefix !== "") return null; // 12ab, 1e5: part of a number
  if (/\.$/.test(previous)) {
    // `1.` or `.5` are numbers; a method follows a name, a call, a subscript or a literal.
    if (/(?:^|[^\w.])[0-9]+\.$/.test(previous) || /^\.$|[\s(,[{=<>!+\-*/%&|^~]\.$/.test(previous)) return null;
    return { kind: "method", from, prefix };
  }
  return { kind: "name", from, prefix };
}

/** The options for a site, filtered by its prefix (case-insensitively, by start). */
export function completionOptions(site: CompletionSite, sources: CompletionSources): CompletionOption[] {
  const prefix = site.prefix.toLowerCase();
  const starts = (label: string) => label.toLowerCase().startsWith(prefix);
  switch (site.kind) {
    case "name": {
      const functions = sources.functions.filter((f) => starts(f.name)).map(functionOption);
      const variables = sources.variables.filter(starts).map(
        (v): CompletionOption => ({ label: v, type: "variable", detail: "variable", boost: 2 }),
      );
      const keywords = KEYWORDS.filter(starts).map((k): CompletionOption => ({ label: k, type: "keyword", boost: -1 }));
      return [...variables, ...functions, ...keywords];
    }
    case "method":
      return methodOptions().filter((o) => starts(o.label));
    case "field": {
      if (!RECORD_VARIABLES.includes(site.receiver) || !sources.variables.includes(site.receiver)) return [];
      return childFields(sources.fields, site.path)
        .filter(starts)
        .map((name) => ({
          label: name,
          type: "property" as const,
          detail: site.path.length ? `field of ${site.path.join(".")}` : "field",
          apply: escapeFor(name, site.quote),
        }));
    }
    case "json-path": {
      if (!RECORD_VARIABLES.includes(site.receiver) || !sources.variables.includes(site.receiver)) return [];
      const base = site.path.join(".");
      const under = base
        ? sources.fields.filter((f) => f.startsWith(`${base}.`)).map((f) => f.slice(base.length + 1))
        : [...sources.fields];
      return under.filter(starts).map((path) => ({
        label: path,
        type: "property" as const,
        detail: "path",
        apply: escapeFor(path, site.quote),
      }));
    }
  }
}

function functionOption(f: ExpressionFunction): CompletionOption {
  return {
    label: f.name,
    type: "function",
    detail: f.signature ?? `${f.name}(…)`,
    info: f.doc,
    apply: `${f.name}(`,
  };
}

let methodCache: CompletionOption[] | null = null;

function methodOptions(): CompletionOption[] {
  if (methodCache) return methodCache;
  const receivers = new Map<string, string[]>();
  for (const [type, names] of METHOD_RECEIVERS) {
    for (const name of names) receivers.set(name, [...(receivers.get(name) ?? []), type]);
  }
  const methods = [...receivers].map(([name, types]): CompletionOption => ({
    label: name,
    type: "method",
    detail: `method of ${types.join(", ")}`,
    apply: `${name}(`,
    boost: name === "get" ? 1 : 0,
  }));
  const data = DATA_ATTRIBUTES.map(([name, info]): CompletionOption => ({ label: name, type: "property", detail: info, boost: -1 }));
  methodCache = [...methods, ...data];
  return methodCache;
}

/** The names one level below `path` among dotted field paths, in first-seen order. */
export function childFields(fields: readonly string[], path: readonly string[]): string[] {
  const base = path.join(".");
  const seen = new Set<string>();
  for (const field of fields) {
    let rest: string;
    if (!base) rest = field;
    else if (field.startsWith(`${base}.`)) rest = field.slice(base.length + 1);
    else continue;
    const name = rest.split(".")[0] ?? "";
    if (name !== "" && !/^\d+$/.test(name)) seen.add(name); // list indices are not subscript keys
  }
  return [...seen];
}

export interface FieldPathOptions {
  /** How deep to descend (1 = top-level fields only). */
  maxDepth?: number;
  /** Stop after this many paths. */
  limit?: number;
}

/**
 * The dotted paths of the fields in sample record values, as json_get reads them:
 * `user`, `user.name`, `items`, `items.0.sku` (a list's items are described by its first
 * one, at index 0). Values that are JSON text are parsed first; other values hold no
 * fields. Paths come in first-seen order, without repeats.
 */
export function fieldPaths(values: readonly unknown[], options: FieldPathOptions = {}): string[] {
  const maxDepth = options.maxDepth ?? 5;
  const limit = options.limit ?? 500;
  const seen = new Set<string>();
  const walk = (node: unknown, prefix: string, depth: number) => {
    if (depth > maxDepth || seen.size >= limit) return;
    if (Array.isArray(node)) {
      if (node.length > 0 && prefix) {
        const path = `${prefix}.0`;
        if (isContainer(node[0])) walk(node[0], path, depth + 1);
      }
      return;
    }
    if (!isPlainObject(node)) return;
    for (const [name, child] of Object.entries(node)) {
      if (seen.size >= limit) return;
      const path = prefix ? `${prefix}.${name}` : name;
      seen.add(path);
      if (isContainer(child)) walk(child, path, depth + 1);
    }
  };
  for (const value of values) walk(parseIfJson(value), "", 1);
  return [...seen];
}

function parseIfJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const text = value.trim();
  if (!text.startsWith("{")) return value;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isContainer(value: unknown): boolean {
  return typeof value === "object" && value !== null;
}

interface OpenString {
  /** Index of the opening quote. */
  start: number;
  quote: Quote;
  triple: boolean;
  /** Length of the string prefix (r, b, f, rb, ...) before the quote. */
  prefixLength: number;
}

/** Whether the text ends inside a string or a comment, following Python's rules. */
export function scanStrings(text: string): { openString: OpenString | null; inComment: boolean } {
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "#") {
      const end = text.indexOf("\n", i);
      if (end < 0) return { openString: null, inComment: true };
      i = end + 1;
      continue;
    }
    if (c === '"' || c === "'") {
      const prefix = /[A-Za-z]{1,2}$/.exec(text.slice(Math.max(0, i - 2), i));
      const prefixLength = prefix && /^(?:[rbfuRBFU]|[rR][bBfF]|[bBfF][rR])$/.test(prefix[0]) && !/\w/.test(text[i - prefix[0].length - 1] ?? "")
        ? prefix[0].length
        : 0;
      const triple = text.startsWith(c.repeat(3), i);
      const delimiter = triple ? c.repeat(3) : c;
      let j = i + delimiter.length;
      let closed = false;
      while (j < text.length) {
        if (text[j] === "\\") {
          j += 2;
          continue;
        }
        if (!triple && text[j] === "\n") break; // an unterminated one-line string ends at the line
        if (text.startsWith(delimiter, j)) {
          closed = true;
          j += delimiter.length;
          break;
        }
        j += 1;
      }
      if (!closed) {
        if (j >= text.length) {
          return { openString: { start: i, quote: c, triple, prefixLength }, inComment: false };
        }
        i = j; // a broken string on an earlier line: go on after it
        continue;
      }
      i = j;
      continue;
    }
    i += 1;
  }
  return { openString: null, inComment: false };
}

function stepNames(steps: string): string[] {
  return (steps.match(STEP_LITERAL) ?? []).map((literal) => unescape(literal.slice(1, -1)));
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, "$1");
}

function escapeFor(text: string, quote: Quote): string {
  return text.replace(/\\/g, "\\\\").replace(quote === '"' ? /"/g : /'/g, `\\${quote}`);
}
