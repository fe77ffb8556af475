// Live state of one deployment, fed by the websocket (and by Start/Stop answers).
// The merged metrics view is recomputed when a report arrives, not on every render.
import { createStore } from "zustand/vanilla";
import { type FeedState, addRecordError, addRecords, addSample, applySocketMessage } from "../lib/deployment-feed";
import {
  EMPTY_METRICS,
  type MergedMetrics,
  type ThroughputPoint,
  appendThroughput,
  documentNodeRates,
  mergeSnapshots,
} from "../lib/metrics";
import type { Deployment } from "../types/api";
import type { LiveSample, MetricsSnapshot, RecordError, SocketMessage } from "../types/metrics";

export type ConnectionStatus = "connecting" | "open" | "reconnecting" | "closed";

export interface Connection {
  status: ConnectionStatus;
  /** Failed attempts since the last successful connection. */
  attempt: number;
  /** When the next attempt is due (epoch ms), while reconnecting. */
  retryAt: number | null;
}

export interface DeploymentState {
  deployment: Deployment | null;
  replicas: Record<string, MetricsSnapshot>;
  documentNodeIds: string[];
  merged: MergedMetrics;
  nodeRates: Record<string, { rate: number; total: number }>;
  history: ThroughputPoint[];
  connection: Connection;
  /** processor -> its latest samples, newest first (the websocket's "records" frames). */
  samples: Record<string, LiveSample[]>;
  /** The latest record errors, newest first (snapshot, then "records" frames). */
  recordErrors: RecordError[];
}

export interface DeploymentActions {
  receive: (message: SocketMessage) => void;
  setDeployment: (deployment: Deployment) => void;
  setDocumentNodeIds: (ids: string[]) => void;
  setConnection: (connection: Connection) => void;
}

export type DeploymentStore = DeploymentState & DeploymentActions;

export function createDeploymentStore(initial: { deployment?: Deployment | null } = {}) {
  return createStore<DeploymentStore>()((set) => {
    const derive = (feed: FeedState, ids: string[], history: ThroughputPoint[]) => {
      const merged = mergeSnapshots(feed.replicas, ids);
      return {
        deployment: feed.deployment,
        replicas: feed.replicas,
        merged,
        nodeRates: documentNodeRates(merged.nodes),
        history: merged.updatedAt === null ? history : appendThroughput(history, merged.updatedAt, merged.totals),
      };
    };
    return {
      deployment: initial.deployment ?? null,
      replicas: {},
      documentNodeIds: [],
      merged: EMPTY_METRICS,
      nodeRates: {},
      history: [],
      connection: { status: "connecting", attempt: 0, retryAt: null },
      samples: {},
      recordErrors: [],
      receive: (message) =>
        set((s) => {
          if (message.type === "records") return addRecords(s, message);
          if (message.type === "sample") return { samples: addSample(s.samples, message.sample) };
          if (message.type === "error") return { recordErrors: addRecordError(s.recordErrors, message.error) };
          const feed = applySocketMessage({ deployment: s.deployment, replicas: s.replicas }, message);
          if (message.type === "deployment") return { deployment: feed.deployment };
          const derived = derive(feed, s.documentNodeIds, s.history);
          return message.type === "snapshot"
            ? { ...derived, samples: message.samples, recordErrors: message.errors }
            : derived;
        }),
      setDeployment: (deployment) => set({ deployment }),
      setDocumentNodeIds: (ids) =>
        set((s) => ({ documentNodeIds: ids, ...derive(s, ids, s.history) })),
      setConnection: (connection) => set({ connection }),
    };
  });
}

export type DeploymentStoreApi = ReturnType<typeof createDeploymentStore>;
