import { describe, expect, it } from "vitest";
import type { TopologyDocument } from "../types/document";
import type { BrowsedRecord, TryResult } from "../types/try-it";
import {
  MAX_STEPS,
  advanceLine,
  appendLines,
  capturedLines,
  formatJsonValue,
  nodeCounts,
  parseSteps,
  sourceSerdes,
  sourceTopics,
  stepLabel,
  stepOfPath,
  withAutoTimestamps,
} from "./test-bench";

const doc: TopologyDocument = {
  format_version: 1,
  name: "two sources",
  settings: { default_key_serde: "string", default_value_serde: "json" },
  nodes: [
    { id: "upper", type: "stream.map_values", params: { mapper: "value" } },
    { id: "lines", type: "source.stream", params: { topics: ["text-lines", "more-lines"], value_serde: "string" } },
    { id: "users", type: "source.table", params: { topic: "users", key_serde: "long" } },
    { id: "out", type: "sink.topic", params: { topic: "counts" } },
  ],
  edges: [],
};

describe("sourceTopics", () => {
  it("lists every source topic once, in document order, and no sink topics", () => {
    expect(sourceTopics(doc)).toEqual(["text-lines", "more-lines", "users"]);
    expect(sourceTopics({ ...doc, nodes: [] })).toEqual([]);
  });
});

describe("sourceSerdes", () => {
  it("takes the source's own serdes, else the document's defaults", () => {
    expect(sourceSerdes(doc, "more-lines")).toEqual({ keySerde: "string", valueSerde: "string" });
    expect(sourceSerdes(doc, "users")).toEqual({ keySerde: "long", valueSerde: "json" });
  });

  it("falls back to string when the document names no defaults", () => {
    expect(sourceSerdes({ ...doc, settings: undefined }, "nowhere")).toEqual({ keySerde: "string", valueSerde: "string" });
  });
});

describe("parseSteps", () => {
  it("reads record objects, bare values and wall-clock advances, one per line", () => {
    const text = [
      '{"key": "a", "value": {"n": 1}, "timestamp": 1000}',
      "",
      '"just text"',
      "# a comment",
      '{"advance_wall_clock_ms": 500}',
      '{"topic": "users", "key": 7, "value": null, "headers": {"h": "v"}}',
      "42",
    ].join("\n");
    const parsed = parseSteps(text, "text-lines");
    expect(parsed.errors).toEqual([]);
    expect(parsed.steps).toEqual([
      { record: { topic: "text-lines", key: "a", value: { n: 1 }, timestamp: 1000 } },
      { record: { topic: "text-lines", key: null, value: "just text" } },
      { advance_wall_clock_ms: 500 },
      { record: { topic: "users", key: 7, value: null, headers: [{ key: "h", value: "v" }] } },
      { record: { topic: "text-lines", key: null, value: 42 } },
    ]);
    expect(parsed.lines).toEqual([1, 3, 5, 6, 7]);
  });

  it("takes an object that is not shaped like a record as the value", () => {
    // no "value" field, or fields a record does not have: the whole object is the value
    expect(parseSteps('{"user": "u1", "page": "/"}', "t").steps).toEqual([
      { record: { topic: "t", key: null, value: { user: "u1", page: "/" } } },
    ]);
    expect(parseSteps('{"value": 1, "extra": true}', "t").steps).toEqual([
      { record: { topic: "t", key: null, value: { value: 1, extra: true } } },
    ]);
  });

  it("takes a line that is not JSON as text, unless it starts like JSON", () => {
    const parsed = parseSteps("Hello world hello\n  two  spaces \n{not json\n[1, 2", "lines");
    expect(parsed.steps).toEqual([
      { record: { topic: "lines", key: null, value: "Hello world hello" } },
      { record: { topic: "lines", key: null, value: "  two  spaces " } },
    ]);
    expect(parsed.errors.map((e) => e.line)).toEqual([3, 4]);
  });

  it("numbers each bad line and keeps the good ones", () => {
    const text = ['"ok"', "{not json", '{"value": 1, "timestamp": -5}', '{"advance_wall_clock_ms": 1.5}', '{"value": 2, "topic": ""}'].join(
      "\n",
    );
    const parsed = parseSteps(text, "t");
    expect(parsed.steps).toHaveLength(1);
    expect(parsed.errors.map((e) => e.line)).toEqual([2, 3, 4, 5]);
    expect(parsed.errors[0]?.message).toMatch(/^not JSON/);
    expect(parsed.errors[1]?.message).toMatch(/timestamp/);
    expect(parsed.errors[2]?.message).toMatch(/advance_wall_clock_ms/);
    expect(parsed.errors[3]?.message).toMatch(/topic/);
  });

  it("refuses records without a topic when the document reads none", () => {
    const parsed = parseSteps('"x"\n{"topic": "t", "value": 1}', null);
    expect(parsed.errors).toEqual([{ line: 1, message: expect.stringMatching(/no topic/) }]);
    expect(parsed.steps).toEqual([{ record: { topic: "t", key: null, value: 1 } }]);
  });

  it("refuses an advance mixed with other fields, and bad headers", () => {
    const parsed = parseSteps('{"advance_wall_clock_ms": 5, "value": 1}\n{"value": 1, "headers": [{"key": "h"}]}', "t");
    expect(parsed.errors.map((e) => e.line)).toEqual([1, 2]);
  });

  it("says when there are more steps than a run takes", () => {
    const parsed = parseSteps(Array.from({ length: MAX_STEPS + 2 }, (_, i) => String(i)).join("\n"), "t");
    expect(parsed.errors).toEqual([{ line: MAX_STEPS + 1, message: expect.stringMatching(/at most 1000 steps/) }]);
  });
});

describe("lines", () => {
  it("builds the advance line the parser reads back", () => {
    expect(parseSteps(advanceLine(2500), "t").steps).toEqual([{ advance_wall_clock_ms: 2500 }]);
  });

  it("appends on a line of its own", () => {
    expect(appendLines("", "a")).toBe("a");
    expect(appendLines("x", "a")).toBe("x\na");
    expect(appendLines("x\n", "a")).toBe("x\na");
    expect(appendLines("x", "")).toBe("x");
  });
});

describe("capturedLines", () => {
  const record = (partition: number, offset: number, timestamp: number, extra: Partial<BrowsedRecord> = {}): BrowsedRecord => ({
    partition,
    offset,
    timestamp,
    key: `k${partition}-${offset}`,
    value: { n: offset },
    key_error: null,
    value_error: null,
    headers: [],
    ...extra,
  });

  it("orders records of all partitions by time and skips unreadable ones", () => {
    const { text, skipped } = capturedLines(
      [
        record(0, 0, 300),
        record(1, 0, 100, { headers: [{ key: "h", value: "v" }, { key: "bin", value: "AAE=", encoding: "base64" }] }),
        record(0, 1, 200, { value_error: "not JSON" }),
      ],
      "clicks",
    );
    expect(skipped).toBe(1);
    const parsed = parseSteps(text, null);
    expect(parsed.errors).toEqual([]);
    expect(parsed.steps).toEqual([
      { record: { topic: "clicks", key: "k1-0", value: { n: 0 }, timestamp: 100, headers: [{ key: "h", value: "v" }] } },
      { record: { topic: "clicks", key: "k0-0", value: { n: 0 }, timestamp: 300 } },
    ]);
  });
});

describe("answer helpers", () => {
  it("finds the step a problem path names", () => {
    expect(stepOfPath("steps.3.record.value")).toEqual({ step: 3, field: "record.value" });
    expect(stepOfPath("steps.0")).toEqual({ step: 0, field: "" });
    expect(stepOfPath("steps")).toBeNull();
    expect(stepOfPath("params.x")).toBeNull();
  });

  it("labels steps by the line they came from", () => {
    expect(stepLabel(1, [2, 5])).toBe("line 5");
    expect(stepLabel(4, [2, 5])).toBe("step 5");
    expect(stepLabel(null, [])).toBe("at start");
  });

  it("counts each node's records and marks the nodes that failed", () => {
    const result: TryResult = {
      nodes: {
        lines: { records: [{ key: null, value: "a b", timestamp: 0, step: 0, processor: "lines", truncated: [] }], truncated: false, same_as: null },
        split: { records: [], truncated: true, same_as: null },
      },
      outputs: {},
      errors: [
        { step: 0, node_id: "split", processor: "split", kind: "ProcessingError", message: "boom", decision: "failed" },
        { step: 1, node_id: null, processor: null, kind: "CpuLimit", message: "slow", decision: "failed" },
      ],
      problems: [],
      steps_run: 1,
      stream_time_ms: 0,
      wall_clock_ms: 0,
      limits: { steps: 1000, records_per_node: 200, records_per_topic: 200, cpu_s: 5 },
    };
    expect(nodeCounts(result)).toEqual({
      lines: { count: 1, truncated: false, failed: false },
      split: { count: 0, truncated: true, failed: true },
    });
  });

  it("shows keys and values as JSON", () => {
    expect(formatJsonValue("a")).toBe('"a"');
    expect(formatJsonValue(null)).toBe("null");
    expect(formatJsonValue({ key: "a", window: { start: 0, end: 10 } })).toBe('{"key":"a","window":{"start":0,"end":10}}');
  });
});

describe("withAutoTimestamps", () => {
  it("stamps records without a timestamp from the start, one step apart, in run order", () => {
    const { steps } = parseSteps(
      ['"a"', '{"value": "b", "timestamp": 50}', '{"advance_wall_clock_ms": 10}', '{"topic": "other", "value": "c"}', '"d"'].join("\n"),
      "in",
    );
    const stamped = withAutoTimestamps(steps, 1000, 250);
    const times = stamped.map((s) => ("record" in s ? s.record.timestamp : `+${s.advance_wall_clock_ms}`));
    // an explicit timestamp is kept and does not move the sequence; wall-clock steps neither
    expect(times).toEqual([1000, 50, "+10", 1250, 1500]);
    expect(stamped[3]).toEqual({ record: { topic: "other", key: null, value: "c", timestamp: 1250 } });
  });

  it("leaves the typed steps as they were", () => {
    const { steps } = parseSteps('"a"', "in");
    withAutoTimestamps(steps, 0, 1);
    expect(steps[0]).toEqual({ record: { topic: "in", key: null, value: "a" } });
  });
});
