import { describe, expect, it } from "vitest";
import type { RecordsPage, RecordsQuery } from "../types/topics";
import { queryString } from "./query-string";
import {
  filterTopics,
  mergePages,
  nextPageQueries,
  offsetSpan,
  parseTimestamp,
  parseTyped,
} from "./topic-browser";

describe("parseTyped", () => {
  it("takes text as it is for string and null when asked", () => {
    expect(parseTyped(" a b ", "string")).toEqual({ ok: true, value: " a b " });
    expect(parseTyped("anything", "json", true)).toEqual({ ok: true, value: null });
  });

  it("parses JSON and says when it is not", () => {
    expect(parseTyped('{"n": 1}', "json")).toEqual({ ok: true, value: { n: 1 } });
    expect(parseTyped("{n: 1}", "json").ok).toBe(false);
  });

  it("checks whole numbers against the serde's width", () => {
    expect(parseTyped("42", "long")).toEqual({ ok: true, value: 42 });
    expect(parseTyped("4.2", "long").ok).toBe(false);
    expect(parseTyped("2147483647", "integer")).toEqual({ ok: true, value: 2147483647 });
    expect(parseTyped("2147483648", "integer").ok).toBe(false);
    expect(parseTyped("9007199254740993", "long").ok).toBe(false); // past 2^53: would be rounded
  });

  it("takes finite doubles and base64 bytes", () => {
    expect(parseTyped("1e3", "double")).toEqual({ ok: true, value: 1000 });
    expect(parseTyped("Infinity", "double").ok).toBe(false);
    expect(parseTyped("aGk=", "bytes")).toEqual({ ok: true, value: "aGk=" });
    expect(parseTyped("hi!", "bytes").ok).toBe(false);
  });
});

describe("parseTimestamp", () => {
  it("reads milliseconds and zoned ISO times", () => {
    expect(parseTimestamp("1700000000000")).toBe(1700000000000);
    expect(parseTimestamp("2023-11-14T22:13:20Z")).toBe(1700000000000);
    expect(parseTimestamp("2023-11-14T23:13:20+01:00")).toBe(1700000000000);
    expect(parseTimestamp("soon")).toBeNull();
    expect(parseTimestamp(" ")).toBeNull();
  });
});

const query: RecordsQuery = { limit: 10, key_serde: "string", value_serde: "json" };
const partitions = [
  { partition: 0, low: 0, high: 30 },
  { partition: 1, low: 5, high: 8 },
  { partition: 2, low: 0, high: 0 },
];

describe("nextPageQueries", () => {
  it("goes on from each partition's next offset, sharing the limit, skipping ended ones", () => {
    const page: RecordsPage = { records: [], next_offsets: { "0": 7, "1": 8, "2": 0 } };
    // Partition 1 is at its end (8) and 2 is empty: only partition 0 has more.
    expect(nextPageQueries(query, page, partitions)).toEqual([
      { key_serde: "string", value_serde: "json", partition: 0, offset: 7, limit: 10 },
    ]);
    const two: RecordsPage = { records: [], next_offsets: { "1": 6, "0": 7 } };
    expect(nextPageQueries(query, two, partitions).map((q) => [q.partition, q.offset, q.limit])).toEqual([
      [0, 7, 5],
      [1, 6, 5],
    ]);
  });

  it("keeps one partition and drops the starting time once offsets are known", () => {
    const page: RecordsPage = { records: [], next_offsets: { "0": 12 } };
    expect(nextPageQueries({ ...query, partition: 0, timestamp: 1000 }, page, partitions)).toEqual([
      { key_serde: "string", value_serde: "json", partition: 0, offset: 12, limit: 10 },
    ]);
    expect(nextPageQueries({ ...query, partition: 0 }, { records: [], next_offsets: { "0": 30 } }, partitions)).toEqual([]);
  });
});

describe("mergePages", () => {
  it("orders records by partition and offset and merges next offsets", () => {
    const record = (partition: number, offset: number) => ({
      partition, offset, timestamp: 0, key: null, value: null, key_error: null, value_error: null, headers: [],
    });
    const merged = mergePages([
      { records: [record(1, 6)], next_offsets: { "1": 7 } },
      { records: [record(0, 8), record(0, 7)], next_offsets: { "0": 9 } },
    ]);
    expect(merged.records.map((r) => [r.partition, r.offset])).toEqual([[0, 7], [0, 8], [1, 6]]);
    expect(merged.next_offsets).toEqual({ "0": 9, "1": 7 });
  });
});

describe("topics", () => {
  const topics = [
    { name: "orders", internal: false, partitions },
    { name: "__consumer_offsets", internal: true, partitions: [] },
    { name: "Orders-DLQ", internal: false, partitions: [] },
  ];

  it("filters by name, hiding internal topics unless asked", () => {
    expect(filterTopics(topics, "order", false).map((t) => t.name)).toEqual(["orders", "Orders-DLQ"]);
    expect(filterTopics(topics, "", true)).toHaveLength(3);
    expect(filterTopics(topics, "consumer", false)).toEqual([]);
  });

  it("adds up the offsets the partitions span", () => {
    expect(offsetSpan(partitions)).toBe(30 + 3 + 0);
  });
});

describe("queryString", () => {
  it("leaves out empty values and encodes the rest", () => {
    expect(queryString({ a: 1, b: undefined, c: "", d: null, e: "x y", f: 0 })).toBe("?a=1&e=x+y&f=0");
    expect(queryString({})).toBe("");
  });
});

describe("routes of the topic browser and the audit log", () => {
  it("match /topics and /audit, with or without the slash", async () => {
    const { matchRoute, paths } = await import("./routes");
    expect(matchRoute("/topics")).toEqual({ name: "topics" });
    expect(matchRoute("/topics/")).toEqual({ name: "topics" });
    expect(matchRoute("/audit")).toEqual({ name: "audit" });
    expect(matchRoute("/topics/x")).toEqual({ name: "not-found", path: "/topics/x" });
    expect(matchRoute(paths.topics())).toEqual({ name: "topics" });
    expect(matchRoute(paths.audit())).toEqual({ name: "audit" });
  });
});
