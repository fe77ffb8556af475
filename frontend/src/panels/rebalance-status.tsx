// "Rebalancing for N min": a replica whose consumer group has not settled long after a
// rebalance should have ended, with no state to restore meanwhile (lib/rebalance).
import { useNow } from "../hooks/use-now";
import { formatDurationMs } from "../lib/format";
import { stuckRebalances } from "../lib/rebalance";
import { useDeploymentStore } from "../store/deployment-context";

export function RebalanceStatus() {
  const replicas = useDeploymentStore((s) => s.replicas);
  const now = useNow();
  const stuck = stuckRebalances(replicas, now);
  if (stuck.length === 0) return null;
  const names = stuck.map((s) => s.replica);
  const who = names.length === 1 ? `Replica ${names[0]}` : `Replicas ${names.join(", ")}`;
  const since = Math.min(...stuck.map((s) => s.since));
  return (
    <div className="alert alert--warning dashboard-header__error" role="alert" data-testid="rebalance-stuck">
      <div className="alert__body">
        <p className="alert__title">
          {who} rebalancing for {formatDurationMs(Math.round((now - since) / 1000) * 1000)}, with no state to restore
        </p>
        <p>
          A consumer group normally settles within seconds, and at the latest within the rebalance timeout
          (max.poll.interval.ms); this one may be stuck. Check it with <code>kafka-consumer-groups --describe</code>.
          On the development broker (Tansu 0.6.0) a group whose leader left while it re-formed never settles; only
          restarting the broker clears it.
        </p>
      </div>
    </div>
  );
}
