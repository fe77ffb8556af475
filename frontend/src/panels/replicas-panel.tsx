// The replicas that report metrics: each one's application state, tasks, rate and lag.
import { useMemo } from "react";
import { EmptyState } from "../components/feedback";
import { StateBadge } from "../components/state-badge";
import { useNow } from "../hooks/use-now";
import { formatAgo, formatCount, formatRate } from "../lib/format";
import { STALE_AFTER_MS } from "../lib/metrics";
import type { EngineSnapshot } from "../lib/series";
import { replicaRows } from "../lib/series-replicas";
import { useDeploymentStore } from "../store/deployment-context";

export function ReplicasPanel() {
  const replicas = useDeploymentStore((s) => s.replicas);
  const desired = useDeploymentStore((s) => s.deployment?.replicas ?? null);
  const rows = useMemo(() => replicaRows(replicas as Record<string, EngineSnapshot>, STALE_AFTER_MS), [replicas]);
  const now = useNow(5000);
  const live = rows.filter((r) => !r.stale).length;
  return (
    <section className="panel" aria-labelledby="replicas-title">
      <h2 id="replicas-title" className="panel__title panel__title--small">
        Replicas
        <span className="panel__title-aside" data-testid="replicas-reporting">
          {live} of {desired ?? "?"} reporting
        </span>
      </h2>
      {rows.length === 0 ? (
        <EmptyState title="No replica has reported yet">Replicas report once a second after they start.</EmptyState>
      ) : (
        <div className="table-scroll">
          <table className="data-table" data-testid="replicas-table">
            <thead>
              <tr>
                <th scope="col">Replica</th>
                <th scope="col">State</th>
                <th scope="col">Tasks</th>
                <th scope="col" className="num">
                  rec/s
                </th>
                <th scope="col" className="num">
                  Lag
                </th>
                <th scope="col" className="num">
                  Reported
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id} data-replica={row.id} data-state={row.state} className={row.stale ? "is-stale" : undefined}>
                  <td className="mono">#{row.id}</td>
                  <td>
                    <StateBadge state={row.state} />
                  </td>
                  <td>
                    <span className="task-list" title="tasks (sub-topology_partition)">
                      {row.tasks.length === 0 ? <span className="muted">none</span> : row.tasks.map((t) => <code key={t}>{t}</code>)}
                    </span>
                  </td>
                  <td className="num">{formatRate(row.processRate)}</td>
                  <td className="num">{formatCount(row.lag)}</td>
                  <td className="num">{row.stale ? `stale, ${formatAgo(row.reportedAt, now)}` : formatAgo(row.reportedAt, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
