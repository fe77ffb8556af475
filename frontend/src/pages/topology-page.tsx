// One topology in the editor: its latest version as the draft, the palette, live
// validation, versions, Deploy, and the deployments made from it.
import { ReactFlowProvider } from "@xyflow/react";
import { useMemo, useState } from "react";
import { fetchPortKinds } from "../api/editor";
import { fetchDeployments } from "../api/deployments";
import { fetchMe } from "../api/session";
import { fetchTopology } from "../api/topologies";
import { DeployDialog } from "../components/deploy-dialog";
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
import { refusal, roleIn } from "../lib/roles";
import { paths } from "../lib/routes";
import { DeploymentsList } from "../panels/deployments-list";
import { CanvasStoreProvider } from "../store/canvas-context";
import type { VersionDetail } from "../types/api";
import type { CatalogEntry } from "../types/catalog";
import type { TopologyDocument } from "../types/document";

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
  const workspaceName = me.data?.workspaces.find((w) => w.id === t.workspace)?.name;
  const editRefusal = refusal("Editing this topology", role, "editor", workspaceName);
  const deployRefusal = refusal("Deploying", role, "operator", workspaceName);

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
          <DeployButton version={version} workspaceId={t.workspace} topologyName={t.name} refusal={deployRefusal} />
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
  version,
  workspaceId,
  topologyName,
  refusal,
}: {
  version: VersionDetail;
  workspaceId: number;
  topologyName: string;
  refusal: string | null;
}) {
  const [open, setOpen] = useState(false);
  const blocked = (version.problems ?? []).some((p) => p.severity === "error");
  return (
    <div className="deploy">
      <button
        type="button"
        className="button button--primary button--large"
        onClick={() => setOpen(true)}
        disabled={blocked || refusal !== null}
        title={refusal ?? (blocked ? "Fix the validation errors before deploying" : undefined)}
      >
        <DeployIcon size={16} />
        {`Deploy v${version.number}`}
      </button>
      <DeployDialog
        versionId={version.id}
        versionNumber={version.number}
        workspaceId={workspaceId}
        topologyName={topologyName}
        open={open}
        onClose={() => setOpen(false)}
        onDeployed={(deployment) => navigate(paths.deployment(deployment.id))}
      />
    </div>
  );
}
