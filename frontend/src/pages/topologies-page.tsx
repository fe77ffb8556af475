// All topologies, with their latest version; each row opens the topology.
import { useState } from "react";
import { fetchMe } from "../api/session";
import { fetchTopologies } from "../api/topologies";
import { EmptyState, ErrorMessage, Spinner } from "../components/feedback";
import { GraphIcon } from "../components/icons";
import { Link } from "../components/link";
import { NewTopologyDialog } from "../components/new-topology-dialog";
import { useResource } from "../hooks/use-resource";
import { formatDateTime } from "../lib/format";
import { hasRole } from "../lib/roles";
import { paths } from "../lib/routes";

export function TopologiesPage() {
  const { data, error, loading, reload } = useResource((signal) => fetchTopologies(signal), []);
  const me = useResource((signal) => fetchMe(signal), []);
  const [creating, setCreating] = useState(false);
  const editable = (me.data?.workspaces ?? []).filter((w) => me.data?.is_superuser || hasRole(w.role, "editor"));

  return (
    <main className="page page--narrow">
      <header className="page-header">
        <div className="page-header__main">
          <h1 className="page-title">Topologies</h1>
          <p className="page-meta">Stream-processing topologies saved in this studio. Open one to edit it and deploy it.</p>
        </div>
        <button
          type="button"
          className="button button--primary"
          onClick={() => setCreating(true)}
          disabled={editable.length === 0}
          title={editable.length === 0 ? "Creating a topology needs the editor role in a workspace." : undefined}
        >
          New topology
        </button>
      </header>
      {creating && <NewTopologyDialog workspaces={editable} onClose={() => setCreating(false)} />}
      {loading && !data && <Spinner label="Loading topologies" />}
      {error && <ErrorMessage error={error} onRetry={reload} />}
      {data && data.results.length === 0 && (
        <EmptyState title="No topologies yet">The studio loads the example topologies on its first start.</EmptyState>
      )}
      {data && data.results.length > 0 && (
        <ul className="topology-list" data-testid="topology-list">
          {data.results.map((t) => (
            <li key={t.id}>
              <Link to={paths.topology(t.id)} className="topology-card">
                <span className="topology-card__icon" aria-hidden="true">
                  <GraphIcon size={20} />
                </span>
                <span className="topology-card__main">
                  <span className="topology-card__name">{t.name}</span>
                  <span className="topology-card__description">{t.description || "No description."}</span>
                </span>
                <span className="topology-card__version">
                  {t.latest_version ? (
                    <>
                      <span className="version-pill">v{t.latest_version.number}</span>
                      <span className="muted">{formatDateTime(t.latest_version.created_at)}</span>
                    </>
                  ) : (
                    <span className="muted">no version</span>
                  )}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
