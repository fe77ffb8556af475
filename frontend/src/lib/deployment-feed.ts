// The deployment websocket feed: parsing server messages and folding them into the
// per-replica view the dashboard renders. Everything the dashboard shows comes from
// here, so a reload or a second tab rebuilds the same state from the first snapshot.
import type { Deployment } from "../types/api";
import type { LiveSample, MetricsSnapshot, RecordError, SocketMessage } from "../types/metrics";

export interface FeedState {
  deployment: Deployment | null;
  replicas: Record<string, MetricsSnapshot>;
}

/** How many samples per processor, and record errors in all, the dashboard keeps. */
export const SAMPLES_KEPT = 10;
export const ERRORS_KEPT = 100;

/** Parses one websocket frame; null for anything that is not a known message. */
export function parseSocketMessage(raw: string): SocketMessage | null {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isObject(data) || typeof data.type !== "string") return null;
  switch (data.type) {
    case "snapshot":
      if (!isObject(data.deployment) || !isObject(data.metrics)) return null;
      return {
        type: "snapshot",
        deployment: data.deployment as unknown as Deployment,
        metrics: Object.fromEntries(
          Object.entries(data.metrics).filter(([, m]) => isSnapshot(m)),
        ) as Record<string, MetricsSnapshot>,
        samples: isObject(data.samples)
          ? (Object.fromEntries(
              Object.entries(data.samples)
                .filter(([, list]) => Array.isArray(list))
                .map(([node, list]) => [node, (list as unknown[]).filter(isSample)]),
            ) as Record<string, LiveSample[]>)
          : {},
        errors: Array.isArray(data.errors) ? data.errors.filter(isRecordError) : [],
      };
    case "records":
      if (!Array.isArray(data.samples) || !Array.isArray(data.errors)) return null;
      return { type: "records", samples: data.samples.filter(isSample), errors: data.errors.filter(isRecordError) };
    case "error":
      return isRecordError(data.error) ? { type: "error", error: data.error } : null;
    case "sample":
      return isSample(data.sample) ? { type: "sample", sample: data.sample } : null;
    case "metrics":
      if (data.replica === undefined || data.replica === null || !isSnapshot(data.metrics)) {
        return null;
      }
      return { type: "metrics", replica: String(data.replica), metrics: data.metrics };
    case "deployment":
      if (!isObject(data.deployment)) return null;
      return { type: "deployment", deployment: data.deployment as unknown as Deployment };
    default:
      return null;
  }
}

/**
 * Folds a message into the feed state. A snapshot replaces everything (it is the
 * server's whole view); a metrics message replaces one replica's report; a deployment
 * message replaces the deployment record.
 */
export function applySocketMessage(state: FeedState, message: SocketMessage): FeedState {
  switch (message.type) {
    case "records":
    case "sample":
    case "error":
      return state;
    case "snapshot":
      return { deployment: message.deployment, replicas: { ...message.metrics } };
    case "metrics":
      return {
        ...state,
        replicas: { ...state.replicas, [message.replica]: message.metrics },
      };
    case "deployment":
      return { ...state, deployment: message.deployment };
  }
}

/** The websocket URL for a deployment, on the page's own host and scheme. */
export function deploymentSocketUrl(
  location: { protocol: string; host: string },
  deploymentId: number | string,
): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/deployments/${deploymentId}/`;
}

/**
 * Reconnect delay after `attempt` failed tries (0-based): doubling from `base` up to
 * `max`, with up to 20 % random jitter so many tabs do not reconnect in lockstep.
 */
export function reconnectDelay(
  attempt: number,
  random: () => number = Math.random,
  base = 500,
  max = 15_000,
): number {
  const exp = Math.min(max, base * 2 ** Math.max(0, attempt));
  return Math.round(exp * (1 - 0.2 * random()));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Samples per processor after one more arrived: newest first, at most `kept`. The
 * newest sample of a processor is kept even when several replicas report at once.
 */
export function addSample(
  samples: Readonly<Record<string, LiveSample[]>>,
  sample: LiveSample,
  kept = SAMPLES_KEPT,
): Record<string, LiveSample[]> {
  return { ...samples, [sample.node]: [sample, ...(samples[sample.node] ?? [])].slice(0, kept) };
}

/** The record errors after one more arrived: newest first, at most `kept`. */
export function addRecordError(errors: readonly RecordError[], error: RecordError, kept = ERRORS_KEPT): RecordError[] {
  return [error, ...errors].slice(0, kept);
}

/** The samples and errors the dashboard keeps after a "records" frame (its records come
 * oldest first; the lists are newest first). */
export function addRecords(
  kept: { samples: Readonly<Record<string, LiveSample[]>>; recordErrors: readonly RecordError[] },
  records: { samples: readonly LiveSample[]; errors: readonly RecordError[] },
): { samples: Record<string, LiveSample[]>; recordErrors: RecordError[] } {
  return {
    samples: records.samples.reduce<Record<string, LiveSample[]>>((all, s) => addSample(all, s), { ...kept.samples }),
    recordErrors: records.errors.reduce<RecordError[]>((all, e) => addRecordError(all, e), [...kept.recordErrors]),
  };
}

function isRecordError(value: unknown): value is RecordError {
  return isSample(value) && typeof (value as { message?: unknown }).message === "string";
}

function isSample(value: unknown): value is LiveSample {
  return isObject(value) && typeof value.node === "string" && typeof value.timestamp === "number";
}

function isSnapshot(value: unknown): value is MetricsSnapshot {
  return isObject(value) && typeof value.timestamp === "number";
}
