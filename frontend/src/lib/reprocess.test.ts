import { describe, expect, it } from "vitest";
import type { DeploymentLag, ReprocessDeployment, ResetPlan, TopicComparison } from "../types/reprocess";
import {
  EMPTY_START,
  applicationIdProblem,
  catchUp,
  confirmationMatches,
  describeStartPoint,
  describeTarget,
  formatPercent,
  isOperationFinished,
  pendingCandidateOf,
  percentOf,
  progressPercent,
  resetBody,
  sideBySideBody,
  startPoint,
  summarizePlan,
  topicVerdict,
} from "./reprocess";

const plusOne = () => 60;

describe("startPoint", () => {
  it("sends earliest as the string the API takes", () => {
    expect(startPoint(EMPTY_START)).toEqual({ ok: true, value: "earliest" });
  });

  it("sends a local date-time with the browser's zone, or as UTC", () => {
    const local = { ...EMPTY_START, mode: "datetime" as const, local: "2026-12-03T10:00" };
    expect(startPoint(local, plusOne)).toEqual({ ok: true, value: { datetime: "2026-12-03T10:00:00+01:00" } });
    expect(startPoint({ ...local, utc: true }, plusOne)).toEqual({
      ok: true,
      value: { datetime: "2026-12-03T10:00:00+00:00" },
    });
  });

  it("sends a duration as seconds", () => {
    expect(startPoint({ ...EMPTY_START, mode: "duration", duration: "1h30m" })).toEqual({
      ok: true,
      value: { duration: 5400 },
    });
  });

  it("explains a missing date or a bad duration", () => {
    expect(startPoint({ ...EMPTY_START, mode: "datetime", local: "" }).ok).toBe(false);
    expect(startPoint({ ...EMPTY_START, mode: "duration", duration: "soon" }).ok).toBe(false);
  });

  it("says in words where the records start", () => {
    expect(describeStartPoint("earliest")).toBe("the earliest records");
    expect(describeStartPoint({ duration: 5400 })).toBe("the records of the last 1 h 30 min");
    expect(describeStartPoint({ datetime: "2026-12-03T10:00:00+01:00" })).toBe(
      "the first records at or after 2026-12-03T10:00:00+01:00",
    );
  });

  it("says where the backend resolved the target", () => {
    expect(describeTarget({ kind: "earliest" })).toMatch(/^earliest/);
    expect(describeTarget({ kind: "timestamp", timestamp_ms: 1_767_225_600_000, duration_s: 3600 })).toBe(
      "2026-01-01T00:00:00.000Z (1 h back)",
    );
  });
});

describe("request bodies", () => {
  it("builds a dry-run reset without redirects", () => {
    expect(resetBody("earliest", true)).toEqual({ dry_run: true, to: "earliest" });
  });

  it("keeps only the filled-in redirects, trimmed", () => {
    expect(resetBody({ duration: 60 }, false, { counts: " counts-v2 ", words: "  " })).toEqual({
      dry_run: false,
      to: { duration: 60 },
      output_topic: { counts: "counts-v2" },
    });
  });

  it("builds side by side with and without an application id", () => {
    expect(sideBySideBody(7, "earliest")).toEqual({ version: 7, from: "earliest" });
    expect(sideBySideBody(7, { datetime: "2026-12-03T10:00:00+00:00" }, " wc-v2 ")).toEqual({
      version: 7,
      from: { datetime: "2026-12-03T10:00:00+00:00" },
      application_id: "wc-v2",
    });
  });

  it("checks an application id as the backend does", () => {
    expect(applicationIdProblem("")).toBeNull();
    expect(applicationIdProblem("word-count.v2_b")).toBeNull();
    expect(applicationIdProblem("word count")).toMatch(/letters, digits/);
    expect(applicationIdProblem("a".repeat(121))).toMatch(/120/);
  });

  it("needs the exact application id to confirm", () => {
    expect(confirmationMatches(" word-count ", "word-count")).toBe(true);
    expect(confirmationMatches("word-coun", "word-count")).toBe(false);
    expect(confirmationMatches("Word-count", "word-count")).toBe(false);
  });
});

describe("summarizePlan", () => {
  const plan: ResetPlan = {
    deployment: 3,
    application_id: "wc",
    group: "wc",
    dry_run: true,
    target: { kind: "earliest" },
    input_partitions: [
      { topic: "words", partition: 1, committed: 40, target: 0 },
      { topic: "words", partition: 0, committed: 25, target: 5 },
      { topic: "lines", partition: 0, committed: null, target: 0 },
      { topic: "lines", partition: 1, committed: 10, target: 10 },
      { topic: "lines", partition: 2, committed: 3, target: 8 },
    ],
    internal_topics: ["wc-counts-changelog", "wc-by-word-repartition"],
    stores: ["counts"],
    checkpoint_key_pattern: "riffle:ckpt:wc:*",
    checkpoint_keys: 4,
    output_redirects: [{ sink_topic: "counts", current: "counts", new: "counts-v2", exists: false }],
  };

  it("groups partitions by topic, in order", () => {
    const s = summarizePlan(plan);
    expect(s.topics.map((t) => t.topic)).toEqual(["lines", "words"]);
    expect(s.topics[1]?.partitions.map((p) => p.partition)).toEqual([0, 1]);
    expect(s.partitions).toBe(5);
  });

  it("adds up how far offsets move back and forward", () => {
    const s = summarizePlan(plan);
    // words: 40 → 0 is 40 back, 25 → 5 is 20 back; lines: 3 → 8 is 5 forward.
    expect(s.topics[1]?.offsetsBack).toBe(60);
    expect(s.topics[0]?.offsetsForward).toBe(5);
    expect(s.topics[0]?.uncommitted).toBe(1);
    expect(s.offsetsBack).toBe(60);
    expect(s.offsetsForward).toBe(5);
    // Everything but lines-1 (10 → 10) changes; no commit counts as a change.
    expect(s.changed).toBe(4);
  });

  it("lists the internal topics sorted and keeps stores, checkpoints and redirects", () => {
    const s = summarizePlan(plan);
    expect(s.internalTopics).toEqual(["wc-by-word-repartition", "wc-counts-changelog"]);
    expect(s.stores).toEqual(["counts"]);
    expect(s.checkpointKeys).toBe(4);
    expect(s.redirects).toHaveLength(1);
  });
});

describe("catch-up", () => {
  const lag: DeploymentLag = {
    deployment: 9,
    application_id: "wc-candidate",
    group: "wc-candidate",
    topics: ["words", "wc-candidate-by-word-repartition"],
    not_created: [],
    partitions: [
      { topic: "words", partition: 1, committed: 150, has_committed: true, start_offset: 100, end_offset: 300, lag: 150 },
      { topic: "words", partition: 0, committed: 200, has_committed: true, start_offset: 0, end_offset: 200, lag: 0 },
      { topic: "words", partition: 2, committed: null, has_committed: false, start_offset: 0, end_offset: 100, lag: 100 },
      {
        topic: "wc-candidate-by-word-repartition",
        partition: 0,
        committed: 0,
        has_committed: true,
        start_offset: 0,
        end_offset: 999,
        lag: 999,
      },
    ],
    total_lag: 1249,
    partitions_without_commit: 1,
  };

  it("measures each input partition from its log start, internal topics left out", () => {
    const c = catchUp(lag);
    expect(c.rows.map((r) => [r.partition, r.done, r.total, r.percent])).toEqual([
      [0, 200, 200, 100],
      [1, 50, 200, 25],
      [2, 0, 100, 0],
    ]);
    expect(c.rows[0]?.caughtUp).toBe(true);
    expect(c.rows[2]?.caughtUp).toBe(false);
  });

  it("adds up to the total and is not caught up while a partition lags", () => {
    const c = catchUp(lag);
    expect(c.done).toBe(250);
    expect(c.total).toBe(500);
    expect(c.percent).toBe(50);
    expect(c.lag).toBe(250);
    expect(c.caughtUp).toBe(false);
    expect(c.partitionsWithoutCommit).toBe(1);
  });

  it("is caught up when every partition committed at its end; empty ones count as done", () => {
    const c = catchUp({
      ...lag,
      partitions: [
        { topic: "a", partition: 0, committed: 10, has_committed: true, start_offset: 10, end_offset: 10, lag: 0 },
        { topic: "a", partition: 1, committed: 7, has_committed: true, start_offset: 2, end_offset: 7, lag: 0 },
      ],
    });
    expect(c.caughtUp).toBe(true);
    expect(c.percent).toBe(100);
    expect(c.rows[0]?.percent).toBe(100);
  });

  it("is not caught up with no partitions at all", () => {
    expect(catchUp({ ...lag, partitions: [] }).caughtUp).toBe(false);
  });

  it("computes percentages without overshoot and never shows 100 early", () => {
    expect(percentOf(1, 3)).toBeCloseTo(33.333, 2);
    expect(percentOf(5, 4)).toBe(100);
    expect(percentOf(-1, 4)).toBe(0);
    expect(percentOf(0, 0)).toBe(100);
    expect(formatPercent(99.99)).toBe("99.9 %");
    expect(formatPercent(100)).toBe("100 %");
    expect(formatPercent(0)).toBe("0.0 %");
    expect(progressPercent({
      partitions: 2, partitions_without_commit: 0, committed_total: 30, end_total: 120, lag: 90, caught_up: false,
    })).toBe(25);
  });
});

describe("comparison and candidates", () => {
  const topic: TopicComparison = {
    sink_topic: "counts",
    live_topic: "counts",
    candidate_topic: "counts.wc-candidate",
    live_records: 100,
    candidate_records: 80,
    equal: 6,
    differing: 2,
    only_live: 1,
    only_candidate: 1,
    examples: {},
  };

  it("counts the keys and the share that agree", () => {
    expect(topicVerdict(topic)).toEqual({ keys: 10, equalPercent: 60, identical: false });
    expect(topicVerdict({ ...topic, differing: 0, only_live: 0, only_candidate: 0 })).toEqual({
      keys: 6,
      equalPercent: 100,
      identical: true,
    });
    expect(topicVerdict({ ...topic, equal: 0, differing: 0, only_live: 0, only_candidate: 0 }).equalPercent).toBeNull();
  });

  const base = { live: false, candidate_of: null, discarded_at: null } as unknown as ReprocessDeployment;
  it("finds the pending candidate, not a promoted or discarded one", () => {
    const list = [
      { ...base, id: 1, live: true },
      { ...base, id: 2, candidate_of: 1, discarded_at: "2026-12-01T00:00:00Z" },
      { ...base, id: 3, candidate_of: 1, live: true },
      { ...base, id: 4, candidate_of: 1 },
    ];
    expect(pendingCandidateOf(list, 1)?.id).toBe(4);
    expect(pendingCandidateOf(list, 4)).toBeNull();
  });

  it("knows when an operation is over", () => {
    expect(isOperationFinished({ state: "running" })).toBe(false);
    expect(isOperationFinished({ state: "pending" })).toBe(false);
    expect(isOperationFinished({ state: "done" })).toBe(true);
    expect(isOperationFinished({ state: "failed" })).toBe(true);
  });
});
