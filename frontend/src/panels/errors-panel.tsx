// Processing errors reported by the replicas, newest first.
import { AlertIcon } from "../components/icons";
import { formatClock } from "../lib/format";
import { useDeploymentStore } from "../store/deployment-context";

export function ErrorsPanel() {
  const errors = useDeploymentStore((s) => s.merged.errors);
  return (
    <section className="panel" aria-labelledby="errors-title">
      <h2 id="errors-title" className="panel__title panel__title--small">
        Errors
        <span className={`count-pill ${errors.length ? "count-pill--bad" : ""}`}>{errors.length}</span>
      </h2>
      {errors.length === 0 ? (
        <p className="ok-line">
          <span className="ok-dot" aria-hidden="true" /> No processing errors reported.
        </p>
      ) : (
        <ul className="error-list" data-testid="errors">
          {errors.map((e) => (
            <li key={`${e.node}-${e.topic}-${e.partition}-${e.offset}-${e.timestamp}`} className="error-list__item">
              <AlertIcon size={15} className="error-list__icon" />
              <div>
                <p className="error-list__where">
                  <code>{e.node}</code> at <code>{e.topic}</code>-{e.partition}@{e.offset}
                  <span className="muted"> · {formatClock(e.timestamp)}</span>
                </p>
                <p className="error-list__message">{e.message}</p>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
