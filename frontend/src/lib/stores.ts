// The state browser, the pure parts: the query string of each kind of store query, its
// inputs checked as the API checks them, and the API's refusals turned into what the
// panel says and whether retrying can help.
import type { QueryableStore, StoreEntry, StoreKind } from "../types/stores";
import { type OffsetOf, type Parsed, browserOffset, parseInstant } from "./reprocess-time";

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;

export type QueryMode = "lookup" | "range" | "window" | "session";

export interface StoreQueryInput {
  mode: QueryMode;
  key: string;
  from: string;
  to: string;
  /** Window starts: epoch ms or a date-time; blank = open. */
  timeFrom: string;
  timeTo: string;
  limit: string;
}

export const EMPTY_QUERY: StoreQueryInput = {
  mode: "lookup",
  key: "",
  from: "",
  to: "",
  timeFrom: "",
  timeTo: "",
  limit: String(DEFAULT_LIMIT),
};

/** The query modes a store of `kind` answers; the first is the default. */
export function modesFor(kind: StoreKind): QueryMode[] {
  if (kind === "window") return ["window"];
  if (kind === "session") return ["session"];
  return ["lookup", "range"];
}

export interface QueryProblem {
  field: keyof StoreQueryInput;
  message: string;
}

export type BuiltQuery = { ok: true; query: string } | { ok: false; problem: QueryProblem };

/** Path of a store's query endpoint (store names may hold characters a path cannot). */
export function storePath(deploymentId: number, storeName: string): string {
  return `/api/deployments/${deploymentId}/stores/${encodeURIComponent(storeName)}/`;
}

/**
 * The query string for `input` on `store` ("" or "?…"). Keys are sent as typed: the
 * API reads them with the store's key serde and does not trim them. Blank range ends
 * and time bounds are left out (open).
 */
export function buildStoreQuery(
  store: QueryableStore,
  input: StoreQueryInput,
  offsetOf: OffsetOf = browserOffset,
): BuiltQuery {
  const params = new URLSearchParams();
  const fail = (field: keyof StoreQueryInput, message: string): BuiltQuery => ({ ok: false, problem: { field, message } });
  if (!modesFor(store.kind).includes(input.mode)) {
    return fail("mode", `A ${store.kind} store does not answer ${input.mode} queries.`);
  }
  const keyProblem = (field: "key" | "from" | "to") => checkKey(store.key_serde, input[field]);

  if (input.mode === "lookup" || input.mode === "session") {
    if (input.key === "") return fail("key", "Enter a key.");
    const problem = keyProblem("key");
    if (problem) return fail("key", problem);
    params.set("key", input.key);
  }
  if (input.mode === "range") {
    for (const field of ["from", "to"] as const) {
      if (input[field] === "") continue;
      const problem = keyProblem(field);
      if (problem) return fail(field, problem);
      params.set(field, input[field]);
    }
  }
  if (input.mode === "window") {
    if (input.key !== "") {
      const problem = keyProblem("key");
      if (problem) return fail("key", problem);
      params.set("key", input.key);
    }
    let from: number | null = null;
    for (const [field, name] of [["timeFrom", "time_from"], ["timeTo", "time_to"]] as const) {
      if (!input[field].trim()) continue;
      const at = parseInstant(input[field], offsetOf);
      if (!at.ok) return fail(field, at.message);
      if (field === "timeTo" && from !== null && at.value.ms < from) {
        return fail("timeTo", "The end of the time range is before its start.");
      }
      if (field === "timeFrom") from = at.value.ms;
      params.set(name, String(at.value.ms));
    }
  }
  if (input.mode !== "lookup") {
    const limit = parseLimit(input.limit);
    if (!limit.ok) return fail("limit", limit.message);
    if (limit.value !== DEFAULT_LIMIT) params.set("limit", String(limit.value));
  }
  const text = params.toString();
  return { ok: true, query: text ? `?${text}` : "" };
}

/** The limit field: blank is the default (100); otherwise a whole number 1..10000. */
export function parseLimit(text: string): Parsed<number> {
  const t = text.trim();
  if (!t) return { ok: true, value: DEFAULT_LIMIT };
  if (!/^\d+$/.test(t)) return { ok: false, message: "The limit is a whole number." };
  const n = Number(t);
  if (n < 1 || n > MAX_LIMIT) return { ok: false, message: `The limit is between 1 and ${MAX_LIMIT}.` };
  return { ok: true, value: n };
}

/** Why a key typed as text does not fit the store's key serde, as the API would say, or null. */
export function checkKey(serde: string, text: string): string | null {
  if (serde === "long" || serde === "integer") {
    return /^\s*[+-]?\d+\s*$/.test(text) ? null : `“${text}” is not an integer (${serde} keys).`;
  }
  if (serde === "double") {
    return text.trim() !== "" && Number.isFinite(Number(text)) ? null : `“${text}” is not a number (double keys).`;
  }
  if (serde === "json") {
    try {
      JSON.parse(text);
      return null;
    } catch {
      return `“${text}” is not JSON text (json keys; a string is given in quotes).`;
    }
  }
  if (serde === "bytes") {
    return /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)
      ? null
      : `“${text}” is not base64 (bytes keys).`;
  }
  return null;
}

/** What to type for a key of this serde. */
export function keyHint(serde: string): string {
  switch (serde) {
    case "long":
    case "integer":
      return "an integer";
    case "double":
      return "a number";
    case "json":
      return "JSON text, e.g. \"alice\" or {\"id\": 1}";
    case "bytes":
      return "base64";
    default:
      return "text";
  }
}

export interface QueryFailure {
  title: string;
  message: string;
  /** Retrying the same query may succeed (rebalancing, restoring, slow replica). */
  retry: boolean;
}

/** An API refusal of a store query, as the panel explains it. */
export function describeQueryFailure(status: number, message: string): QueryFailure {
  switch (status) {
    case 400:
      return { title: "The query was refused", message, retry: false };
    case 404:
      return { title: "No such store", message, retry: false };
    case 409:
      return { title: "The deployment cannot answer queries now", message, retry: false };
    case 502:
      return { title: "A replica failed the query", message, retry: true };
    case 503:
      return { title: "A replica is rebalancing or restoring its state", message, retry: true };
    case 504:
      return { title: "Replicas did not answer in time", message, retry: true };
    case 0:
      return { title: "The studio did not answer", message, retry: true };
    default:
      return { title: `The query failed (${status})`, message, retry: status >= 500 };
  }
}

export type EntryColumn = "key" | "start" | "end" | "value" | "timestamp";

/** The table's columns for the entries of a store. */
export function entryColumns(store: Pick<QueryableStore, "kind" | "timestamped">): EntryColumn[] {
  const columns: EntryColumn[] = ["key"];
  if (store.kind !== "key-value") columns.push("start", "end");
  columns.push("value");
  if (store.timestamped) columns.push("timestamp");
  return columns;
}

/** A stable React key for an entry: key plus window (unique within one answer). */
export function entryId(entry: StoreEntry): string {
  return `${JSON.stringify(entry.key)}@${entry.start ?? ""}/${entry.end ?? ""}`;
}
