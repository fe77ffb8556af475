// Reprocessing, the pure parts: request bodies of reset and side by side, the dry-run
// plan summarized for the preview, catch-up progress from a lag report.
import type {
  CatchUpProgress,
  DeploymentLag,
  Operation,
  PlannedPartition,
  ReprocessDeployment,
  ResetBody,
  ResetPlan,
  ResolvedTarget,
  SideBySideBody,
  StartPoint,
  TopicComparison,
} from "../types/reprocess";
import { type OffsetOf, type Parsed, browserOffset, formatSpan, parseDurationSeconds, zonedIso } from "./reprocess-time";

// -- start points --------------------------------------------------------------------

export type StartMode = "earliest" | "datetime" | "duration";

export interface StartInput {
  mode: StartMode;
  /** `<input type="datetime-local">` value, for "datetime". */
  local: string;
  /** Read `local` as UTC instead of the browser's zone. */
  utc: boolean;
  /** How far back, for "duration": "1h30m", "PT1H", seconds. */
  duration: string;
}

export const EMPTY_START: StartInput = { mode: "earliest", local: "", utc: false, duration: "1h" };

/** The form's start point as the API's `to` / `from` value, or why it cannot be. */
export function startPoint(input: StartInput, offsetOf: OffsetOf = browserOffset): Parsed<StartPoint> {
  switch (input.mode) {
    case "earliest":
      return { ok: true, value: "earliest" };
    case "datetime": {
      if (!input.local.trim()) return { ok: false, message: "Pick the date and time to start from." };
      const iso = zonedIso(input.local, input.utc ? 0 : offsetOf(input.local));
      return iso ? { ok: true, value: { datetime: iso } } : { ok: false, message: `“${input.local}” is not a date-time.` };
    }
    case "duration": {
      const seconds = parseDurationSeconds(input.duration);
      return seconds.ok ? { ok: true, value: { duration: seconds.value } } : seconds;
    }
  }
}

/** A start point in words: "the earliest records", "1 h 30 min back", "2026-12-03T10:00:00+01:00". */
export function describeStartPoint(point: StartPoint): string {
  if (point === "earliest") return "the earliest records";
  if ("datetime" in point) return `the first records at or after ${point.datetime}`;
  const seconds = typeof point.duration === "number" ? point.duration : Number.NaN;
  return Number.isFinite(seconds) ? `the records of the last ${formatSpan(seconds)}` : `${point.duration} back`;
}

/** The target the backend resolved, in words. */
export function describeTarget(target: ResolvedTarget): string {
  if (target.kind === "earliest") return "earliest (the start of every input partition)";
  const at = new Date(target.timestamp_ms).toISOString();
  return target.duration_s !== undefined ? `${at} (${formatSpan(target.duration_s)} back)` : at;
}

// -- request bodies ------------------------------------------------------------------

/** `{sink topic: new topic}` with the blank entries left out and names trimmed. */
export function outputRedirects(raw: Record<string, string>): Record<string, string> {
  const redirects: Record<string, string> = {};
  for (const [sink, topic] of Object.entries(raw)) {
    const name = topic.trim();
    if (name) redirects[sink] = name;
  }
  return redirects;
}

export function resetBody(to: StartPoint, dryRun: boolean, redirects: Record<string, string> = {}): ResetBody {
  const output = outputRedirects(redirects);
  return Object.keys(output).length ? { dry_run: dryRun, to, output_topic: output } : { dry_run: dryRun, to };
}

export function sideBySideBody(version: number, from: StartPoint, applicationId = ""): SideBySideBody {
  const id = applicationId.trim();
  return id ? { version, from, application_id: id } : { version, from };
}

const APPLICATION_ID_RE = /^[A-Za-z0-9._-]+$/;

/** Why a candidate's application.id would be refused (as the backend's rule), or null. */
export function applicationIdProblem(text: string): string | null {
  const id = text.trim();
  if (!id) return null;
  if (!APPLICATION_ID_RE.test(id)) return "Use only letters, digits, '.', '_' and '-'.";
  if (id.length > 120) return "At most 120 characters.";
  return null;
}

/** The typed confirmation matches the application.id exactly (spaces around ignored). */
export function confirmationMatches(typed: string, applicationId: string): boolean {
  return typed.trim() === applicationId;
}

// -- the dry run -----------------------------------------------------------------------

export interface PlannedTopic {
  topic: string;
  partitions: PlannedPartition[];
  /** Offsets the reset goes back, summed over partitions that move backwards. */
  offsetsBack: number;
  /** Offsets it goes forward (a time after the committed position). */
  offsetsForward: number;
  /** Partitions with no committed offset yet. */
  uncommitted: number;
}

export interface PlanSummary {
  topics: PlannedTopic[];
  partitions: number;
  /** Partitions whose offset changes (no commit counts as a change). */
  changed: number;
  offsetsBack: number;
  offsetsForward: number;
  internalTopics: string[];
  stores: string[];
  checkpointKeys: number;
  redirects: ResetPlan["output_redirects"];
}

/** How far a partition's offset moves: target − committed; null without a commit. */
export function offsetDelta(p: PlannedPartition): number | null {
  return p.committed === null ? null : p.target - p.committed;
}

export function summarizePlan(plan: ResetPlan): PlanSummary {
  const byTopic = new Map<string, PlannedTopic>();
  let changed = 0;
  for (const p of plan.input_partitions) {
    let topic = byTopic.get(p.topic);
    if (!topic) {
      topic = { topic: p.topic, partitions: [], offsetsBack: 0, offsetsForward: 0, uncommitted: 0 };
      byTopic.set(p.topic, topic);
    }
    topic.partitions.push(p);
    const delta = offsetDelta(p);
    if (delta === null) topic.uncommitted += 1;
    else if (delta < 0) topic.offsetsBack -= delta;
    else topic.offsetsForward += delta;
    if (delta !== 0) changed += 1;
  }
  const topics = [...byTopic.values()].sort((a, b) => a.topic.localeCompare(b.topic));
  for (const t of topics) t.partitions.sort((a, b) => a.partition - b.partition);
  return {
    topics,
    partitions: plan.input_partitions.length,
    changed,
    offsetsBack: topics.reduce((n, t) => n + t.offsetsBack, 0),
    offsetsForward: topics.reduce((n, t) => n + t.offsetsForward, 0),
    internalTopics: [...plan.internal_topics].sort(),
    stores: [...plan.stores].sort(),
    checkpointKeys: plan.checkpoint_keys,
    redirects: plan.output_redirects,
  };
}

// -- operations ------------------------------------------------------------------------

export function isOperationFinished(op: Pick<Operation, "state">): boolean {
  return op.state === "done" || op.state === "failed";
}

// -- catch-up ------------------------------------------------------------------------

export interface CatchUpRow {
  topic: string;
  partition: number;
  /** Offsets consumed since the log start: (committed or start) − start. */
  done: number;
  /** Offsets in the partition: end − start. */
  total: number;
  lag: number;
  percent: number;
  hasCommitted: boolean;
  caughtUp: boolean;
}

export interface CatchUp {
  rows: CatchUpRow[];
  done: number;
  total: number;
  lag: number;
  percent: number;
  caughtUp: boolean;
  partitionsWithoutCommit: number;
}

/** done / total as a percentage in [0, 100]; an empty partition counts as complete. */
export function percentOf(done: number, total: number): number {
  if (total <= 0) return 100;
  return Math.min(100, Math.max(0, (done / total) * 100));
}

/** A percentage for a progress label, never rounded up to 100 before it is 100. */
export function formatPercent(percent: number): string {
  if (percent >= 100) return "100 %";
  return `${(Math.floor(percent * 10) / 10).toFixed(1)} %`;
}

/**
 * Catch-up of a group from its lag report, over its input topics: the application's
 * own internal topics (named `<application.id>-…`) are left out, as the backend's
 * comparison progress does.
 */
export function catchUp(report: DeploymentLag): CatchUp {
  const internal = `${report.application_id}-`;
  const rows: CatchUpRow[] = report.partitions
    .filter((p) => !p.topic.startsWith(internal))
    .map((p) => {
      const position = p.committed ?? p.start_offset;
      const done = Math.max(0, position - p.start_offset);
      const total = Math.max(0, p.end_offset - p.start_offset);
      return {
        topic: p.topic,
        partition: p.partition,
        done: Math.min(done, total),
        total,
        lag: p.lag,
        percent: p.has_committed ? percentOf(done, total) : total === 0 ? 100 : 0,
        hasCommitted: p.has_committed,
        caughtUp: p.has_committed && p.lag === 0,
      };
    })
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  const done = rows.reduce((n, r) => n + r.done, 0);
  const total = rows.reduce((n, r) => n + r.total, 0);
  return {
    rows,
    done,
    total,
    lag: rows.reduce((n, r) => n + r.lag, 0),
    percent: percentOf(done, total),
    caughtUp: rows.length > 0 && rows.every((r) => r.caughtUp),
    partitionsWithoutCommit: rows.filter((r) => !r.hasCommitted).length,
  };
}

/** The comparison's progress summary as a percentage. */
export function progressPercent(progress: CatchUpProgress): number {
  return percentOf(progress.committed_total, progress.end_total);
}

// -- comparison ----------------------------------------------------------------------

export interface TopicVerdict {
  keys: number;
  /** Share of keys whose latest values are equal; null when no key was read. */
  equalPercent: number | null;
  identical: boolean;
}

export function topicVerdict(t: TopicComparison): TopicVerdict {
  const keys = t.equal + t.differing + t.only_live + t.only_candidate;
  return {
    keys,
    equalPercent: keys === 0 ? null : (t.equal / keys) * 100,
    identical: keys > 0 && t.equal === keys,
  };
}

/** The pending side-by-side candidate of deployment `id` among `deployments`, if any. */
export function pendingCandidateOf(
  deployments: ReprocessDeployment[],
  id: number,
): ReprocessDeployment | null {
  return deployments.find((d) => d.candidate_of === id && !d.live && d.discarded_at === null) ?? null;
}

export function isPendingCandidate(d: ReprocessDeployment): boolean {
  return d.candidate_of !== null && !d.live && d.discarded_at === null;
}
