// One topology: its latest version drawn as a graph, node details, the engine's
// description, validation problems, Deploy, and the deployments made from it.
import { ReactFlowProvider } from "@xyflow/react";
import { useMemo, useState } from "react";
import { ApiError } from "../api/client";
import { createDeployment, fetchDeployments } from "../api/deployments";
import { fetchTopology } from "../api/topologies";
import { ErrorMessage, Spinner } from "../components/feedback";
import { BackIcon, DeployIcon } from "../components/icons";
import { Link } from "../components/link";
import { TopologyCanvas } from "../components/topology-canvas";
import { useCatalog } from "../hooks/use-catalog";
import { navigate } from "../hooks/use-location";
import { useResource } from "../hooks/use-resource";
import { formatDateTime } from "../lib/format";
import { documentToFlow } from "../lib/graph";
import { paths } from "../lib/routes";
import { DeploymentsList } from "../panels/deployments-list";
import { DescribePanel } from "../panels/describe-panel";
import { InspectorPanel } from "../panels/inspector-panel";
import { ProblemsPanel } from "../panels/problems-panel";
import { CanvasStoreProvider } from "../store/canvas-context";
import type { Problem } from "../types/document";

export function TopologyPage({ id }: { id: number }) {
  const topology = useResource((signal) => fetchTopology(id, signal), [id]);
  const deployments = useResource((signal) => fetchDeployments(id, signal), [id]);
  const { catalog, loading: catalogLoading, error: catalogError } = useCatalog();
  const version = topology.data?.latest_version ?? null;

  const graph = useMemo(
    () => (version ? documentToFlow(version.document, catalog, version.problems ?? []) : null),
    [version, catalog],
  );

  if (topology.error) {
    return (
      <main className="page">
        <ErrorMessage error={topology.error} onRetry={topology.reload} />
      </main>
    );
  }
  if (!topology.data || catalogLoading) {
    return (
      <main className="page">
        <Spinner label="Loading topology" />
      </main>
    );
  }
  const t = topology.data;

  return (
    <main className="page page--wide">
      <header className="page-header">
        <div className="page-header__main">
          <nav aria-label="Breadcrumb" className="breadcrumb">
            <Link to={paths.topologies()} className="breadcrumb__link">
              <BackIcon size={14} />
              Topologies
            </Link>
          </nav>
          <h1 className="page-title">{t.name}</h1>
          <p className="page-meta">
            {version ? (
              <>
                <span className="version-pill">v{version.number}</span>
                <span>
                  saved {formatDateTime(version.created_at)}
                  {version.created_by ? ` by ${version.created_by}` : ""}
                </span>
                {version.message && <span className="page-meta__message">“{version.message}”</span>}
              </>
            ) : (
              <span>No saved version.</span>
            )}
          </p>
          {t.description && <p className="page-description">{t.description}</p>}
        </div>
        {version && (
          <DeployButton
            versionId={version.id}
            versionNumber={version.number}
            problems={version.problems ?? []}
          />
        )}
      </header>
      {catalogError && (
        <p className="inline-warning" role="status">
          The node catalog could not be loaded ({catalogError.message}); nodes are drawn from the document alone.
        </p>
      )}
      {version && graph ? (
        <ReactFlowProvider>
          <CanvasStoreProvider key={`${version.id}-${catalog.size}`} initial={graph}>
            <div className="topology-layout">
              <TopologyCanvas label={`Graph of ${t.name}, version ${version.number}`} />
              <aside className="sidebar" aria-label="Topology details">
                <InspectorPanel catalog={catalog} />
                <ProblemsPanel problems={version.problems ?? []} />
                {deployments.error ? (
                  <ErrorMessage error={deployments.error} onRetry={deployments.reload} />
                ) : (
                  <DeploymentsList deployments={deployments.data?.results ?? []} />
                )}
              </aside>
            </div>
            <DescribePanel text={version.describe ?? ""} />
          </CanvasStoreProvider>
        </ReactFlowProvider>
      ) : (
        <p className="muted">This topology has no saved version to show.</p>
      )}
    </main>
  );
}

function DeployButton({
  versionId,
  versionNumber,
  problems,
}: {
  versionId: number;
  versionNumber: number;
  problems: Problem[];
}) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const blocked = problems.some((p) => p.severity === "error");

  const deploy = async () => {
    setPending(true);
    setError(null);
    try {
      const deployment = await createDeployment({ version: versionId });
      navigate(paths.deployment(deployment.id));
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
      setPending(false);
    }
  };

  return (
    <div className="deploy">
      <button
        type="button"
        className="button button--primary button--large"
        onClick={deploy}
        disabled={pending || blocked}
        aria-label={`Deploy version ${versionNumber}`}
        title={blocked ? "Fix the validation errors before deploying" : undefined}
      >
        <DeployIcon size={16} />
        {pending ? "Deploying…" : `Deploy v${versionNumber}`}
      </button>
      {error && (
        <div className="inline-error" role="alert">
          <p>{error.message}</p>
          {error instanceof ApiError && error.problems.length > 0 && (
            <ul>
              {error.problems.map((p, i) => (
                <li key={i}>
                  {p.node_id && <code>{p.node_id}</code>} {p.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
