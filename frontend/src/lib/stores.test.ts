import { describe, expect, it } from "vitest";
import type { QueryableStore } from "../types/stores";
import {
  EMPTY_QUERY,
  buildStoreQuery,
  checkKey,
  describeQueryFailure,
  entryColumns,
  entryId,
  modesFor,
  parseLimit,
  storePath,
} from "./stores";

const kv: QueryableStore = { name: "counts", kind: "key-value", timestamped: true, key_serde: "string", value_serde: "long" };
const longKeys: QueryableStore = { ...kv, name: "by-id", key_serde: "long", timestamped: false };
const windows: QueryableStore = { ...kv, name: "per-minute", kind: "window" };
const sessions: QueryableStore = { ...kv, name: "visits", kind: "session", timestamped: false };
const utc = () => 0;

describe("storePath", () => {
  it("escapes the store name", () => {
    expect(storePath(4, "counts")).toBe("/api/deployments/4/stores/counts/");
    expect(storePath(4, "a b/c")).toBe("/api/deployments/4/stores/a%20b%2Fc/");
  });
});

describe("modesFor", () => {
  it("offers lookup and range on key-value stores, fetches on the others", () => {
    expect(modesFor("key-value")).toEqual(["lookup", "range"]);
    expect(modesFor("window")).toEqual(["window"]);
    expect(modesFor("session")).toEqual(["session"]);
  });
});

describe("buildStoreQuery", () => {
  it("looks a key up as typed, spaces and all", () => {
    expect(buildStoreQuery(kv, { ...EMPTY_QUERY, key: " hello world" })).toEqual({
      ok: true,
      query: "?key=+hello+world",
    });
  });

  it("needs a key for a lookup and an integer for long keys", () => {
    const empty = buildStoreQuery(kv, { ...EMPTY_QUERY, key: "" });
    expect(!empty.ok && empty.problem.field).toBe("key");
    const notInt = buildStoreQuery(longKeys, { ...EMPTY_QUERY, key: "12a" });
    expect(!notInt.ok && notInt.problem.message).toMatch(/not an integer/);
    expect(buildStoreQuery(longKeys, { ...EMPTY_QUERY, key: "-12" })).toEqual({ ok: true, query: "?key=-12" });
  });

  it("scans a range with open ends and leaves the default limit out", () => {
    expect(buildStoreQuery(kv, { ...EMPTY_QUERY, mode: "range" })).toEqual({ ok: true, query: "" });
    expect(buildStoreQuery(kv, { ...EMPTY_QUERY, mode: "range", from: "a", to: "m", limit: "20" })).toEqual({
      ok: true,
      query: "?from=a&to=m&limit=20",
    });
    expect(buildStoreQuery(kv, { ...EMPTY_QUERY, mode: "range", to: "m", limit: "" })).toEqual({
      ok: true,
      query: "?to=m",
    });
  });

  it("refuses a limit outside 1..10000", () => {
    for (const limit of ["0", "10001", "5.5", "x"]) {
      const r = buildStoreQuery(kv, { ...EMPTY_QUERY, mode: "range", limit });
      expect(!r.ok && r.problem.field, limit).toBe("limit");
    }
  });

  it("fetches windows by key and time range in epoch ms", () => {
    // 2026-01-01T00:00Z = 1_767_225_600_000 ms; one minute later adds 60_000.
    const r = buildStoreQuery(
      windows,
      { ...EMPTY_QUERY, mode: "window", key: "alice", timeFrom: "2026-01-01T00:00Z", timeTo: "1767225660000" },
      utc,
    );
    expect(r).toEqual({ ok: true, query: "?key=alice&time_from=1767225600000&time_to=1767225660000" });
  });

  it("fetches every key's windows when no key is given, and reads zone-less times in the zone given", () => {
    const r = buildStoreQuery(windows, { ...EMPTY_QUERY, mode: "window", timeFrom: "2026-01-01T01:00" }, () => 60);
    expect(r).toEqual({ ok: true, query: "?time_from=1767225600000" });
  });

  it("refuses a time range that ends before it starts, or a time it cannot read", () => {
    const backwards = buildStoreQuery(windows, { ...EMPTY_QUERY, mode: "window", timeFrom: "2000", timeTo: "1000" }, utc);
    expect(!backwards.ok && backwards.problem.field).toBe("timeTo");
    const unreadable = buildStoreQuery(windows, { ...EMPTY_QUERY, mode: "window", timeFrom: "noon" }, utc);
    expect(!unreadable.ok && unreadable.problem.field).toBe("timeFrom");
  });

  it("needs a key for sessions", () => {
    const r = buildStoreQuery(sessions, { ...EMPTY_QUERY, mode: "session" });
    expect(!r.ok && r.problem.field).toBe("key");
    expect(buildStoreQuery(sessions, { ...EMPTY_QUERY, mode: "session", key: "u1", limit: "5" })).toEqual({
      ok: true,
      query: "?key=u1&limit=5",
    });
  });

  it("refuses a mode the store does not answer", () => {
    const r = buildStoreQuery(windows, { ...EMPTY_QUERY, mode: "range" });
    expect(!r.ok && r.problem.field).toBe("mode");
  });
});

describe("checkKey", () => {
  it("follows each key serde", () => {
    expect(checkKey("string", "")).toBeNull();
    expect(checkKey("integer", " 42 ")).toBeNull();
    expect(checkKey("double", "1e3")).toBeNull();
    expect(checkKey("double", "")).toMatch(/not a number/);
    expect(checkKey("json", '"alice"')).toBeNull();
    expect(checkKey("json", "alice")).toMatch(/not JSON/);
    expect(checkKey("bytes", "aGk=")).toBeNull();
    expect(checkKey("bytes", "aGk")).toMatch(/base64/);
  });
});

describe("parseLimit", () => {
  it("defaults a blank limit to 100", () => {
    expect(parseLimit(" ")).toEqual({ ok: true, value: 100 });
    expect(parseLimit("10000")).toEqual({ ok: true, value: 10_000 });
  });
});

describe("describeQueryFailure", () => {
  it("offers a retry for rebalancing, slow or failed replicas only", () => {
    expect(describeQueryFailure(503, "rebalancing").retry).toBe(true);
    expect(describeQueryFailure(503, "rebalancing").title).toMatch(/rebalancing/);
    expect(describeQueryFailure(504, "r1 did not answer").retry).toBe(true);
    expect(describeQueryFailure(404, "no store x; known: counts").retry).toBe(false);
    expect(describeQueryFailure(409, "not running").retry).toBe(false);
    expect(describeQueryFailure(400, "bad key").message).toBe("bad key");
  });
});

describe("entries", () => {
  it("shows windows and timestamps only where the store has them", () => {
    expect(entryColumns({ kind: "key-value", timestamped: false })).toEqual(["key", "value"]);
    expect(entryColumns({ kind: "window", timestamped: true })).toEqual(["key", "start", "end", "value", "timestamp"]);
  });

  it("tells apart two windows of one key", () => {
    expect(entryId({ key: "a", value: 1, start: 0, end: 60 })).not.toBe(entryId({ key: "a", value: 1, start: 60, end: 120 }));
    expect(entryId({ key: 1, value: 1 })).not.toBe(entryId({ key: "1", value: 1 }));
  });
});
