// A replica whose consumer group does not settle: REBALANCING for minutes with nothing
// to restore. Kafka finishes a rebalance within the rebalance timeout (the consumer's
// max.poll.interval.ms, 5 min by default) and usually within seconds, so past
// STUCK_AFTER_MS with no restore to wait for, the dashboard says the group may be
// stuck. Pure functions, no React.
import type { EngineSnapshot } from "./series";
import { restoreProgress } from "./series-replicas";

export const STUCK_AFTER_MS = 120_000;

export interface StuckReplica {
  replica: string;
  /** When it entered REBALANCING (epoch ms). */
  since: number;
}

export function stuckRebalances(
  byReplica: Readonly<Record<string, EngineSnapshot>>,
  now: number,
  after: number = STUCK_AFTER_MS,
): StuckReplica[] {
  const restoring = new Set(restoreProgress(byReplica).map((r) => r.replica));
  const out: StuckReplica[] = [];
  for (const [replica, snap] of Object.entries(byReplica)) {
    const since = snap.state_since;
    if (snap.state !== "REBALANCING" || typeof since !== "number" || restoring.has(replica)) continue;
    if (now - since >= after) out.push({ replica, since });
  }
  return out.sort((a, b) => a.replica.localeCompare(b.replica, undefined, { numeric: true }));
}
