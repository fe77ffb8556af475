// Per-replica views of the latest metrics snapshots: who runs which tasks, and how far
// each restoring task has come. Pure functions, no React.
import type { EngineSnapshot } from "./series";

export interface ReplicaRow {
  id: string;
  state: string;
  tasks: string[];
  /** Epoch ms of its latest report. */
  reportedAt: number;
  /** Records per second its stream threads process. */
  processRate: number | null;
  /** Lag of the partitions it reports, summed. */
  lag: number | null;
  /** Its report is much older than the newest: it stopped or is about to be replaced. */
  stale: boolean;
}

/** One row per replica that has a report, in replica id order. */
export function replicaRows(
  byReplica: Readonly<Record<string, EngineSnapshot>>,
  staleAfterMs: number,
): ReplicaRow[] {
  const entries = Object.entries(byReplica);
  const newest = Math.max(0, ...entries.map(([, s]) => s.timestamp ?? 0));
  return entries
    .map(([id, snap]): ReplicaRow => {
      const rates = Object.values(snap.threads ?? {})
        .map((t) => t["process-rate"])
        .filter((v): v is number => typeof v === "number" && Number.isFinite(v));
      const lags = (snap.partitions ?? [])
        .map((p) => p.lag)
        .filter((v): v is number => typeof v === "number" && Number.isFinite(v));
      return {
        id,
        state: snap.state,
        tasks: [...(snap.tasks ?? [])].sort(compareTaskIds),
        reportedAt: snap.timestamp,
        processRate: rates.length ? rates.reduce((a, b) => a + b, 0) : null,
        lag: lags.length ? lags.reduce((a, b) => a + Math.max(0, b), 0) : null,
        stale: newest - (snap.timestamp ?? 0) > staleAfterMs,
      };
    })
    .sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
}

export interface RestoreProgress {
  replica: string;
  task: string;
  /** Changelog records replayed into the task's stores so far. */
  restored: number;
  /** Records between each changelog's position and its end, summed. */
  remaining: number;
  /** restored / (restored + remaining), 0..1. */
  fraction: number;
}

/** The tasks still restoring their state stores, and how far each has come. */
export function restoreProgress(byReplica: Readonly<Record<string, EngineSnapshot>>): RestoreProgress[] {
  const out: RestoreProgress[] = [];
  for (const [replica, snap] of Object.entries(byReplica)) {
    for (const [task, metrics] of Object.entries(snap.task_metrics ?? {})) {
      const remaining = metrics["restore-remaining-records-total"];
      if (typeof remaining !== "number" || !(remaining > 0)) continue;
      const restoredValue = metrics["restore-total"];
      const restored = typeof restoredValue === "number" && restoredValue > 0 ? restoredValue : 0;
      out.push({ replica, task, restored, remaining, fraction: restored / (restored + remaining) });
    }
  }
  return out.sort(
    (a, b) => a.replica.localeCompare(b.replica, undefined, { numeric: true }) || compareTaskIds(a.task, b.task),
  );
}

/** Task ids "subtopology_partition" in numeric order. */
export function compareTaskIds(a: string, b: string): number {
  const [sa = 0, pa = 0] = a.split("_").map(Number);
  const [sb = 0, pb = 0] = b.split("_").map(Number);
  return sa - sb || pa - pb || a.localeCompare(b);
}
