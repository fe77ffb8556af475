// One topology in the editor: its latest version as the draft, the palette, live
// validation, versions, Deploy, and the deployments made from it.
import { ReactFlowProvider } from "@xyflow/react";
import { useMemo, useState } from "react";
import { ApiError } from "../api/client";
import { fetchPortKinds } from "../api/editor";
import { createDeployment, fetchDeployments } from "../api/deployments";
import { fetchMe } from "../api/session";
import { fetchTopology } from "../api/topologies";
import { ErrorMessage, Spinner } from "../components/feedback";
import { BackIcon, DeployIcon } from "../components/icons";
import { Link } from "../components/link";
import { PortKindsContext } from "../editor/connection-line";
import { TopologyEditor } from "../editor/topology-editor";
import { useCatalog } from "../hooks/use-catalog";
import { navigate } from "../hooks/use-location";
import { useResource } from "../hooks/use-resource";
import { formatDateTime } from "../lib/format";
import { documentToFlow } from "../lib/graph";
import { roleIn, roleRefusal } from "../lib/roles";
import { paths } from "../lib/routes";
import { DeploymentsList } from "../panels/deployments-list";
import { CanvasStoreProvider } from "../store/canvas-context";
import type { VersionDetail } from "../types/api";
import type { CatalogEntry } from "../types/catalog";
import type { Problem, TopologyDocument } from "../types/document";

export function TopologyPage({ id }: { id: number }) {
  const topology = useResource((signal) => fetchTopology(id, signal), [id]);
  const deployments = useResource((signal) => fetchDeployments(id, signal), [id]);
  const me = useResource((signal) => fetchMe(signal), []);
  const portKinds = useResource((signal) => fetchPortKinds(signal), []);
  const { catalog, loading: catalogLoading, error: catalogError } = useCatalog();
  const entries = useMemo<CatalogEntry[]>(() => [...catalog.values()], [catalog]);
  // A save does not remount the editor (the draft is the saved version already).
  const [draftOf, setDraftOf] = useState<VersionDetail | null | undefined>(undefined);

  const t = topology.data;
  const version = t?.latest_version ?? null;
  const started = draftOf === undefined ? version : draftOf;
  const base = useMemo<TopologyDocument | null>(
    () => (t ? (started?.document ?? { format_version: 1, name: t.name, nodes: [], edges: [] }) : null),
    [t, started],
  );
  const graph = useMemo(() => (base ? documentToFlow(base, catalog, started?.problems ?? []) : null), [base, catalog, started]);

  if (topology.error) {
    return (
      <main className="page">
        <ErrorMessage error={topology.error} onRetry={topology.reload} />
      </main>
    );
  }
  if (!t || !base || !graph || catalogLoading || me.loading) {
    return (
      <main className="page">
        <Spinner label="Loading topology" />
      </main>
    );
  }
  const role = roleIn(me.data, t.workspace);
  const editRefusal = roleRefusal(role, "editor", "Editing this topology");
  const deployRefusal = roleRefusal(role, "operator", "Deploying");

  const onSaved = (saved: VersionDetail) => {
    if (draftOf === undefined) setDraftOf(version);
    topology.set({ ...t, latest_version: saved });
  };

  return (
    <main className="page page--editor">
      <header className="page-header page-header--compact">
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
              <span>No saved version yet: build the topology, then save it.</span>
            )}
          </p>
        </div>
        {version && (
          <DeployButton
            versionId={version.id}
            versionNumber={version.number}
            problems={version.problems ?? []}
            refusal={deployRefusal}
          />
        )}
      </header>
      {catalogError && (
        <p className="inline-warning" role="status">
          The node catalog could not be loaded ({catalogError.message}); nodes are drawn from the document alone.
        </p>
      )}
      <ReactFlowProvider>
        <PortKindsContext.Provider value={portKinds.data ?? null}>
          <CanvasStoreProvider key={`${started?.id ?? "new"}-${catalog.size}`} initial={graph} catalog={catalog}>
            <TopologyEditor
              topology={t}
              base={base}
              catalog={catalog}
              entries={entries}
              editRefusal={editRefusal}
              onSaved={onSaved}
              extraTabs={() => [
                {
                  id: "deployments",
                  title: "Deployments",
                  body: deployments.error ? (
                    <ErrorMessage error={deployments.error} onRetry={deployments.reload} />
                  ) : (
                    <DeploymentsList deployments={deployments.data?.results ?? []} />
                  ),
                },
              ]}
            />
          </CanvasStoreProvider>
        </PortKindsContext.Provider>
      </ReactFlowProvider>
    </main>
  );
}

function DeployButton({
  versionId,
  versionNumber,
  problems,
  refusal,
}: {
  versionId: number;
  versionNumber: number;
  problems: Problem[];
  refusal: string | null;
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
        disabled={pending || blocked || refusal !== null}
        aria-label={`Deploy version ${versionNumber}`}
        title={refusal ?? (blocked ? "Fix the validation errors before deploying" : undefined)}
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
