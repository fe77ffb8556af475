import { describe, expect, it } from "vitest";
import type { LiveSample, RecordError } from "../types/metrics";
import { addRecords, addSample, parseSocketMessage, SAMPLES_KEPT } from "./deployment-feed";
import { changeText, errorsByNode, nodeSamples } from "./live-samples";

const sample = (node: string, timestamp: number, value: unknown = timestamp): LiveSample => ({
  replica: 1,
  node,
  task: "0_0",
  topic: "t",
  partition: 0,
  offset: timestamp,
  timestamp,
  key: "k",
  value,
});

const ids = ["lines", "split", "group", "group-by-word", "count"];

describe("live samples", () => {
  it("keeps the newest samples per processor, newest first", () => {
    let byProcessor: Record<string, LiveSample[]> = {};
    for (let t = 1; t <= 4; t++) byProcessor = addSample(byProcessor, sample("count", t), 3);
    expect(byProcessor.count!.map((s) => s.timestamp)).toEqual([4, 3, 2]);
  });

  it("gives a node its own processor's samples, else its repartition source's, else all its processors'", () => {
    const byProcessor = {
      count: [sample("count", 9)],
      "group-by-word-repartition-filter": [sample("group-by-word-repartition-filter", 5)],
      "group-by-word-repartition-sink": [sample("group-by-word-repartition-sink", 5)],
      "group-by-word-repartition-source": [sample("group-by-word-repartition-source", 6)],
      "split-big": [sample("split-big", 2)],
      "split-small": [sample("split-small", 3)],
    };
    expect(nodeSamples(byProcessor, "count", ids).map((s) => s.node)).toEqual(["count"]);
    // "group" is a prefix of "group-by-word", but the longest id wins
    expect(nodeSamples(byProcessor, "group-by-word", ids).map((s) => s.node)).toEqual(["group-by-word-repartition-source"]);
    expect(nodeSamples(byProcessor, "group", ids)).toEqual([]);
    expect(nodeSamples(byProcessor, "split", ids).map((s) => s.node)).toEqual(["split-small", "split-big"]);
  });

  it("counts errors per document node", () => {
    const error = (node: string) => ({ node, topic: "t", partition: 0, offset: 1, message: "boom", timestamp: 1 });
    expect(errorsByNode([error("count"), error("group-by-word-repartition-filter"), error("count"), error("elsewhere")], ids)).toEqual({
      count: 2,
      "group-by-word": 1,
    });
  });

  it("reads sample frames and the snapshot's samples, dropping malformed ones", () => {
    expect(parseSocketMessage(JSON.stringify({ type: "sample", sample: sample("count", 1) }))).toEqual({
      type: "sample",
      sample: sample("count", 1),
    });
    expect(parseSocketMessage(JSON.stringify({ type: "sample", sample: { node: 3 } }))).toBeNull();
    const snapshot = parseSocketMessage(
      JSON.stringify({
        type: "snapshot",
        deployment: { id: 1 },
        metrics: {},
        samples: { count: [sample("count", 1), { bad: true }] },
      }),
    );
    expect(snapshot?.type === "snapshot" && snapshot.samples).toEqual({ count: [sample("count", 1)] });
  });
});

describe("changeText", () => {
  it("shows a table update as its new and old value, anything else as is", () => {
    const f = (v: unknown) => JSON.stringify(v);
    expect(changeText({ new_value: 2, old_value: 1 }, f)).toBe("2 (was 1)");
    expect(changeText({ old_value: null, new_value: 1 }, f)).toBe("1 (new)");
    expect(changeText({ new_value: 2, old_value: 1, other: 3 }, f)).toBe(f({ new_value: 2, old_value: 1, other: 3 }));
    expect(changeText("word", f)).toBe('"word"');
  });
});

describe("record error frames", () => {
  it("are read with their decision and dead-letter topic, newest first", async () => {
    const { addRecordError } = await import("./deployment-feed");
    const error = { ...sample("count", 5), kind: "processing", type: "ValueError", message: "bad", decision: "dlq", dead_letter_topic: "wc-dlq", at: 7 };
    const parsed = parseSocketMessage(JSON.stringify({ type: "error", error }));
    expect(parsed).toEqual({ type: "error", error });
    expect(parseSocketMessage(JSON.stringify({ type: "error", error: { ...error, message: 3 } }))).toBeNull();
    const later = { ...error, at: 8 };
    expect(addRecordError(addRecordError([], error), later, 1)).toEqual([later]);
  });
});

describe("records frames", () => {
  const error = (offset: number): RecordError => ({
    ...sample("count", offset),
    kind: "ProcessingError",
    type: "ValueError",
    message: "boom",
    decision: "continued",
    dead_letter_topic: null,
    at: offset,
  });

  it("parses a replica's batch, leaving out what is not a sample or an error", () => {
    const raw = JSON.stringify({
      type: "records",
      replica: "2",
      samples: [sample("split", 1), { node: "no timestamp" }, sample("count", 2)],
      errors: [error(3), sample("count", 4)],
    });
    const message = parseSocketMessage(raw);
    expect(message?.type).toBe("records");
    if (message?.type !== "records") return;
    expect(message.samples.map((s) => [s.node, s.timestamp])).toEqual([["split", 1], ["count", 2]]);
    expect(message.errors.map((e) => e.offset)).toEqual([3]);
    expect(parseSocketMessage(JSON.stringify({ type: "records", samples: [] }))).toBeNull();
  });

  it("folds a batch, oldest first, into the newest-first lists the dashboard keeps", () => {
    const kept = { samples: { count: [sample("count", 1)] }, recordErrors: [error(1)] };
    const batch = {
      samples: Array.from({ length: SAMPLES_KEPT + 2 }, (_, i) => sample("count", i + 2)).concat(sample("split", 99)),
      errors: [error(2), error(3)],
    };
    const after = addRecords(kept, batch);
    expect(after.samples.count!.map((s) => s.timestamp)).toEqual(
      Array.from({ length: SAMPLES_KEPT }, (_, i) => SAMPLES_KEPT + 3 - i),
    );
    expect(after.samples.split!.map((s) => s.timestamp)).toEqual([99]);
    expect(after.recordErrors.map((e) => e.offset)).toEqual([3, 2, 1]);
    expect(kept.samples.count!.map((s) => s.timestamp)).toEqual([1]); // not changed in place
  });
});
