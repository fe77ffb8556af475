// "Draw the comparison": two versions on one read-only canvas. The newer graph, its
// added nodes and connections in green and changed nodes in amber, with what the older
// version had and the newer lost drawn dashed in red where it was.
import { ReactFlowProvider } from "@xyflow/react";
import { useEffect, useMemo } from "react";
import { fetchVersion } from "../api/topologies";
import { ErrorMessage, Spinner } from "../components/feedback";
import { Modal } from "../components/modal";
import { TopologyCanvas } from "../components/topology-canvas";
import { useResource } from "../hooks/use-resource";
import type { CatalogIndex } from "../lib/catalog";
import { documentToReadOnlyFlow } from "../lib/graph";
import { type DiffMark, drawnDiff } from "../lib/version-diff";
import { CanvasStoreProvider, useCanvasStoreApi } from "../store/canvas-context";
import type { VersionDiff } from "../types/diff";

const LEGEND: Array<{ mark: DiffMark; label: string; color: string }> = [
  { mark: "added", label: "added", color: "var(--ok)" },
  { mark: "changed", label: "changed", color: "var(--pending)" },
  { mark: "removed", label: "removed", color: "var(--bad)" },
];

export function DiffCanvasDialog({
  topologyId,
  diff,
  catalog,
  onClose,
}: {
  topologyId: number;
  diff: VersionDiff;
  catalog: CatalogIndex;
  onClose: () => void;
}) {
  const { from_version: from, to_version: to } = diff;
  const older = useResource((signal) => fetchVersion(topologyId, from, signal), [topologyId, from]);
  const newer = useResource((signal) => fetchVersion(topologyId, to, signal), [topologyId, to]);
  const drawn = useMemo(() => {
    if (!older.data || !newer.data) return null;
    const merged = drawnDiff(older.data.document, newer.data.document, diff);
    const flow = documentToReadOnlyFlow(merged.document, catalog);
    const edges = flow.edges.map((e) => (merged.edges[e.id] ? { ...e, className: `flow-edge--${merged.edges[e.id]}` } : e));
    return { graph: { nodes: flow.nodes, edges }, marks: merged.nodes };
  }, [older.data, newer.data, diff, catalog]);
  const error = older.error ?? newer.error;
  return (
    <Modal title={`Changes from v${from} to v${to}`} open onClose={onClose} className="modal--wide">
      <p className="diff-legend muted">
        {LEGEND.map(({ mark, label, color }) => (
          <span
            key={mark}
            className={`diff-legend__item diff-legend__item--${mark}`}
            style={{ ["--legend-color" as string]: color }}
          >
            {label}
          </span>
        ))}
      </p>
      {error && <ErrorMessage error={error} onRetry={older.error ? older.reload : newer.reload} />}
      {!drawn && !error && <Spinner label="Loading both versions" />}
      {drawn && (
        <div className="diff-canvas" data-testid="diff-canvas">
          <ReactFlowProvider>
            <CanvasStoreProvider initial={drawn.graph} catalog={catalog}>
              <Marks marks={drawn.marks} />
              <TopologyCanvas label={`Version ${to} compared with version ${from}`} minimap={false} />
            </CanvasStoreProvider>
          </ReactFlowProvider>
        </div>
      )}
    </Modal>
  );
}

function Marks({ marks }: { marks: Record<string, DiffMark> }) {
  const store = useCanvasStoreApi();
  useEffect(() => store.getState().setHighlight(marks), [store, marks]);
  return null;
}
