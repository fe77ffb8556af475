// Headline numbers: records in/out per second with their trend, total lag, app state.
import { Sparkline } from "../components/sparkline";
import { StateBadge } from "../components/state-badge";
import { formatCount, formatRate } from "../lib/format";
import { formatLagSeconds } from "../lib/series";
import { useDeploymentStore } from "../store/deployment-context";
import { useTimelineStore } from "../store/timeline-context";

export function ThroughputCards() {
  const history = useDeploymentStore((s) => s.history);
  const totals = useDeploymentStore((s) => s.merged.totals);
  const totalLag = useDeploymentStore((s) => s.merged.totalLag);
  const partitions = useDeploymentStore((s) => s.merged.partitions.length);
  const state = useDeploymentStore((s) => s.merged.state);
  const replicas = useDeploymentStore((s) => s.merged.replicas.length);
  const tasks = useDeploymentStore((s) => s.merged.tasks);
  const lagSeconds = useTimelineStore((s) => s.points[s.points.length - 1]?.lagSeconds ?? null);
  const last = history[history.length - 1];
  const seconds = history.length > 1 ? Math.round((history[history.length - 1]!.t - history[0]!.t) / 1000) : 0;

  return (
    <div className="stat-grid">
      <article className="stat-card" aria-label="Records in">
        <p className="stat-card__label">Records in</p>
        <p className="stat-card__value" data-testid="records-in-rate">
          {formatRate(last?.inRate)}
          <span className="stat-card__unit">rec/s</span>
        </p>
        <p className="stat-card__sub" data-testid="records-in-total">
          {formatCount(totals.recordsIn)} total
        </p>
        <Sparkline
          className="stat-card__spark stat-card__spark--in"
          values={history.map((p) => p.inRate)}
          label={`Records in per second over the last ${seconds} seconds`}
        />
      </article>
      <article className="stat-card" aria-label="Records out">
        <p className="stat-card__label">Records out</p>
        <p className="stat-card__value" data-testid="records-out-rate">
          {formatRate(last?.outRate)}
          <span className="stat-card__unit">rec/s</span>
        </p>
        <p className="stat-card__sub" data-testid="records-out-total">
          {formatCount(totals.recordsOut)} total
        </p>
        <Sparkline
          className="stat-card__spark stat-card__spark--out"
          values={history.map((p) => p.outRate)}
          label={`Records out per second over the last ${seconds} seconds`}
        />
      </article>
      <article className="stat-card" aria-label="Consumer lag">
        <p className="stat-card__label">Consumer lag</p>
        <p className="stat-card__value" data-testid="total-lag">
          {formatCount(totalLag)}
          <span className="stat-card__unit">records</span>
        </p>
        <p className="stat-card__sub">
          across {partitions} partition{partitions === 1 ? "" : "s"}
          {totalLag > 0 && (
            <span data-testid="total-lag-seconds">
              {" "}
              · ≈ {lagSeconds === null ? "— (not consuming)" : formatLagSeconds(lagSeconds)} to catch up
            </span>
          )}
        </p>
      </article>
      <article className="stat-card" aria-label="Application">
        <p className="stat-card__label">Application</p>
        <div className="stat-card__value stat-card__value--badge">
          <StateBadge state={state} testId="app-state" />
        </div>
        <p className="stat-card__sub">
          {replicas} replica{replicas === 1 ? "" : "s"} reporting · {tasks.length} task{tasks.length === 1 ? "" : "s"}
        </p>
        {tasks.length > 0 && (
          <p className="stat-card__tasks" title="tasks (sub-topology_partition)">
            {tasks.map((t) => (
              <code key={t}>{t}</code>
            ))}
          </p>
        )}
      </article>
    </div>
  );
}
