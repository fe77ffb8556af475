// Payloads of the interactive-query endpoints: GET /api/deployments/{id}/stores/ and
// /stores/{name}/ (docs/internals.md, "Studio HTTP API").

export type StoreKind = "key-value" | "window" | "session";

export interface QueryableStore {
  name: string;
  kind: StoreKind;
  /** Values carry the timestamp of the record that last updated them. */
  timestamped: boolean;
  key_serde: string;
  value_serde: string;
}

export interface StoreList {
  deployment: number;
  stores: QueryableStore[];
}

export interface StoreEntry {
  key: unknown;
  value: unknown;
  timestamp?: number | null;
  /** Window and session entries. */
  start?: number;
  end?: number;
}

/** A key lookup's answer. */
export interface StoreLookupAnswer {
  store: string;
  kind: StoreKind;
  found: boolean;
  entry: StoreEntry | null;
}

/** A range, window fetch or session fetch's answer. */
export interface StoreEntriesAnswer {
  store: string;
  kind: StoreKind;
  entries: StoreEntry[];
  limit: number;
  /** More entries matched than `limit`. */
  truncated: boolean;
}

export type StoreAnswer = StoreLookupAnswer | StoreEntriesAnswer;
