// The live dashboard of one deployment. Everything on it comes from the websocket's
// snapshot and updates, so a reload or a second tab shows the same state.
import { ReactFlowProvider } from "@xyflow/react";
import { useEffect, useMemo, useState } from "react";
import { fetchDeployment } from "../api/deployments";
import { fetchTopology, fetchVersion } from "../api/topologies";
import { ErrorMessage, Spinner } from "../components/feedback";
import { ReprocessLauncher } from "../components/reprocess-dialog";
import { TopologyCanvas } from "../components/topology-canvas";
import { useCatalog } from "../hooks/use-catalog";
import { useDeploymentSocket } from "../hooks/use-deployment-socket";
import { useMetricsTimeline } from "../hooks/use-metrics-timeline";
import { navigate } from "../hooks/use-location";
import { useResource } from "../hooks/use-resource";
import { documentToReadOnlyFlow } from "../lib/graph";
import { paths } from "../lib/routes";
import { DeploymentHeader } from "../panels/deployment-header";
import { ErrorsPanel } from "../panels/errors-panel";
import { LagPanel } from "../panels/lag-panel";
import { MetricsCharts } from "../panels/metrics-charts";
import { NodeRatesPanel } from "../panels/node-rates-panel";
import { NodeSamplesPanel } from "../panels/node-samples-panel";
import { OutputRecordsPanel } from "../panels/output-records-panel";
import { ReplicasPanel } from "../panels/replicas-panel";
import { ReprocessPanel } from "../panels/reprocess-panel";
import { RestorePanel } from "../panels/restore-panel";
import { StateBrowserPanel } from "../panels/state-browser-panel";
import { ThroughputCards } from "../panels/throughput-cards";
import { CanvasStoreProvider } from "../store/canvas-context";
import { DeploymentStoreProvider, useDeploymentStore } from "../store/deployment-context";
import { TimelineStoreProvider } from "../store/timeline-context";
import type { Deployment, VersionDetail } from "../types/api";

export function DeploymentPage({ id }: { id: number }) {
  const deployment = useResource((signal) => fetchDeployment(id, signal), [id]);
  if (deployment.error) {
    return (
      <main className="page">
        <ErrorMessage error={deployment.error} onRetry={deployment.reload} />
      </main>
    );
  }
  if (!deployment.data) {
    return (
      <main className="page">
        <Spinner label="Loading deployment" />
      </main>
    );
  }
  return (
    <DeploymentStoreProvider key={id} deployment={deployment.data}>
      <TimelineStoreProvider>
        <Dashboard initial={deployment.data} />
      </TimelineStoreProvider>
    </DeploymentStoreProvider>
  );
}

function Dashboard({ initial }: { initial: Deployment }) {
  useDeploymentSocket(initial.id);
  useMetricsTimeline(initial.id);
  const version = useResource(
    async (signal): Promise<{ name: string; version: VersionDetail | null }> => {
      const [topology, pinned] = await Promise.all([
        fetchTopology(initial.topology, signal),
        fetchVersion(initial.topology, initial.version_number, signal),
      ]);
      return { name: topology.name, version: pinned };
    },
    [initial.topology, initial.version],
  );
  const { catalog } = useCatalog();
  const doc = version.data?.version?.document ?? null;
  const graph = useMemo(() => (doc ? documentToReadOnlyFlow(doc, catalog) : null), [doc, catalog]);
  const labels = useMemo(
    () => new Map((graph?.nodes ?? []).map((n) => [n.id, n.data.label] as const)),
    [graph],
  );
  const setDocumentNodeIds = useDeploymentStore((s) => s.setDocumentNodeIds);
  // The websocket's deployment when it has one (it follows stops, scales, promotions).
  const live = useDeploymentStore((s) => s.deployment) ?? initial;
  const [reprocessKey, setReprocessKey] = useState(0);
  const bump = () => setReprocessKey((k) => k + 1);
  useEffect(() => setDocumentNodeIds([...labels.keys()]), [labels, setDocumentNodeIds]);

  return (
    <main className="page page--wide dashboard">
      <DeploymentHeader topologyName={version.data?.name ?? null} />
      <div className="dashboard-actions">
        <ReprocessLauncher deployment={live} onCandidateCreated={bump} onOperationFinished={bump} />
      </div>
      <ReprocessPanel
        deployment={live}
        refreshKey={reprocessKey}
        hideWhenEmpty
        // After a promotion the candidate is the live deployment: its own dashboard.
        onDeploymentChanged={(d) => {
          if (d.id !== live.id && d.live) navigate(paths.deployment(d.id));
        }}
      />
      <ThroughputCards />
      <MetricsCharts />
      <div className="dashboard-grid dashboard-grid--even">
        <ReplicasPanel />
        <RestorePanel />
      </div>
      {graph ? (
        <ReactFlowProvider>
          <CanvasStoreProvider key={`${initial.version}-${catalog.size}`} initial={graph}>
            <div className="dashboard-grid">
              <div className="dashboard-graph">
                <TopologyCanvas label={`Live graph of ${initial.application_id}`} minimap={false} />
              </div>
              <div className="stack">
                <NodeSamplesPanel labels={labels} />
                <NodeRatesPanel labels={labels} />
              </div>
            </div>
          </CanvasStoreProvider>
        </ReactFlowProvider>
      ) : (
        <div className="dashboard-graph">
          {version.error ? (
            <ErrorMessage error={version.error} onRetry={version.reload} />
          ) : version.loading ? (
            <Spinner label="Loading graph" />
          ) : (
            <p className="muted canvas-missing">The document of version {initial.version_number} is not available.</p>
          )}
        </div>
      )}
      <div className="dashboard-grid dashboard-grid--even">
        <OutputRecordsPanel />
        <div className="stack">
          <LagPanel />
          <ErrorsPanel />
        </div>
      </div>
      <StateBrowserPanel deploymentId={initial.id} />
    </main>
  );
}
