// The dashboard charts' timeline: live points from the deployment store's snapshots,
// seeded once from the metrics history. Kept apart from the deployment store so that
// the charts' bookkeeping never slows the rest of the dashboard.
import { createStore } from "zustand/vanilla";
import {
  type EngineSnapshot,
  type LiveCounters,
  type TimelinePoint,
  WINDOW_MS,
  appendPoint,
  livePoint,
  seedHistory,
} from "../lib/series";
import type { PartitionLag } from "../types/metrics";

export type HistoryStatus = "loading" | "loaded" | "unavailable";

export interface TimelineState {
  points: TimelinePoint[];
  counters: LiveCounters;
  history: HistoryStatus;
  /** Why the history could not be read, when it could not. */
  historyError: string | null;
  windowMs: number;
}

export interface TimelineActions {
  ingest: (snapshots: ReadonlyArray<readonly [string, EngineSnapshot]>, partitions: readonly PartitionLag[]) => void;
  seed: (history: readonly TimelinePoint[]) => void;
  historyFailed: (message: string) => void;
}

export type TimelineStore = TimelineState & TimelineActions;

export function createTimelineStore(windowMs = WINDOW_MS) {
  return createStore<TimelineStore>()((set) => ({
    points: [],
    counters: {},
    history: "loading",
    historyError: null,
    windowMs,
    ingest: (snapshots, partitions) =>
      set((s) => {
        if (snapshots.length === 0) return {};
        const { point, counters } = livePoint(snapshots, partitions, s.counters);
        return { points: appendPoint(s.points, point, s.windowMs), counters };
      }),
    seed: (history) =>
      set((s) => ({ points: seedHistory(s.points, history, s.windowMs), history: "loaded", historyError: null })),
    historyFailed: (message) => set({ history: "unavailable", historyError: message }),
  }));
}

export type TimelineStoreApi = ReturnType<typeof createTimelineStore>;
