// The deployments of one topology, newest first, linking to their dashboards.
import { EmptyState } from "../components/feedback";
import { Link } from "../components/link";
import { StateBadge } from "../components/state-badge";
import { formatDateTime } from "../lib/format";
import { paths } from "../lib/routes";
import type { Deployment } from "../types/api";

export function DeploymentsList({ deployments }: { deployments: Deployment[] }) {
  const sorted = [...deployments].sort((a, b) => b.id - a.id);
  return (
    <section className="panel deployments" aria-labelledby="deployments-title">
      <h2 id="deployments-title" className="panel__title panel__title--small">
        Deployments
      </h2>
      {sorted.length === 0 ? (
        <EmptyState title="Not deployed yet">Deploy the latest version to run it against Kafka.</EmptyState>
      ) : (
        <ul className="deployments__list" data-testid="deployments-list">
          {sorted.map((d) => (
            <li key={d.id}>
              <Link to={paths.deployment(d.id)} className="deployments__item" aria-label={`Open deployment ${d.application_id}`}>
                <span className="deployments__main">
                  <span className="deployments__app">{d.application_id}</span>
                  <span className="deployments__meta">
                    v{d.version_number} · {d.processing_guarantee.replace(/_/g, " ")} · {formatDateTime(d.created_at)}
                  </span>
                </span>
                <StateBadge state={d.observed_state} />
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
