// State restoration: a progress bar per task still replaying its changelogs.
import { useMemo } from "react";
import { formatCount } from "../lib/format";
import type { EngineSnapshot } from "../lib/series";
import { restoreProgress } from "../lib/series-replicas";
import { useDeploymentStore } from "../store/deployment-context";

export function RestorePanel() {
  const replicas = useDeploymentStore((s) => s.replicas);
  const tasks = useMemo(() => restoreProgress(replicas as Record<string, EngineSnapshot>), [replicas]);
  const remaining = tasks.reduce((sum, t) => sum + t.remaining, 0);
  return (
    <section className="panel" aria-labelledby="restore-title" data-testid="restore-panel">
      <h2 id="restore-title" className="panel__title panel__title--small">
        State restoration
        {tasks.length > 0 && (
          <span className="panel__title-aside">
            <strong>{formatCount(remaining)}</strong> records to go
          </span>
        )}
      </h2>
      {tasks.length === 0 ? (
        <p className="muted restore-idle">No task is restoring its state stores.</p>
      ) : (
        <ul className="restore-list">
          {tasks.map((t) => {
            const label = `Task ${t.task} on replica ${t.replica}`;
            const percent = Math.round(t.fraction * 100);
            return (
              <li key={`${t.replica}-${t.task}`} className="restore-row" data-task={t.task} data-remaining={t.remaining}>
                <span className="restore-row__label">
                  <code>{t.task}</code> <span className="muted">replica {t.replica}</span>
                </span>
                <span
                  className="progress"
                  role="progressbar"
                  aria-label={label}
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={percent}
                  aria-valuetext={`${percent}%: ${formatCount(t.restored)} restored, ${formatCount(t.remaining)} to go`}
                >
                  <span className="progress__fill" style={{ width: `${percent}%` }} />
                </span>
                <span className="restore-row__numbers num">
                  {formatCount(t.restored)} / {formatCount(t.restored + t.remaining)}
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
