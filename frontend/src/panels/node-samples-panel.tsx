// The latest records a node passed on, live: pick a node (or an edge, for the records
// flowing on it) on the dashboard's canvas.
import { formatClock, formatRecordField } from "../lib/format";
import { changeText, nodeSamples } from "../lib/live-samples";
import { useCanvasStore } from "../store/canvas-context";
import { useDeploymentStore } from "../store/deployment-context";

export function NodeSamplesPanel({ labels }: { labels: ReadonlyMap<string, string> }) {
  const nodeId = useCanvasStore((s) => s.selectedNodeId);
  const samples = useDeploymentStore((s) => s.samples);
  const ids = useDeploymentStore((s) => s.documentNodeIds);
  const rows = nodeId ? nodeSamples(samples, nodeId, ids) : [];
  return (
    <section className="panel node-samples" aria-labelledby="node-samples-title" data-testid="node-samples" data-node={nodeId ?? ""}>
      <h2 id="node-samples-title" className="panel__title panel__title--small">
        {nodeId ? <>Latest records out of {labels.get(nodeId) ?? nodeId}</> : "Latest records of a node"}
      </h2>
      {!nodeId ? (
        <p className="muted">Click a node or an edge of the graph to see the records it passes on, live.</p>
      ) : rows.length === 0 ? (
        <p className="muted">No record sampled yet: the node has passed nothing on since this page opened.</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table" aria-label={`Latest records out of ${nodeId}`}>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Value</th>
                <th scope="col">From</th>
                <th scope="col" className="num">
                  Time
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr
                  key={`${r.replica}-${r.node}-${r.topic}-${r.partition}-${r.offset}-${r.timestamp}-${formatRecordField(r.key)}`}
                  data-testid="node-sample"
                  data-key={typeof r.key === "string" ? r.key : JSON.stringify(r.key)}
                  data-value={typeof r.value === "string" ? r.value : JSON.stringify(r.value)}
                >
                  <td className="mono">{formatRecordField(r.key)}</td>
                  <td className="mono value-cell">{changeText(r.value, (v) => formatRecordField(v))}</td>
                  <td className="mono muted">{r.topic === null ? "punctuation" : `${r.topic}-${r.partition}@${r.offset}`}</td>
                  <td className="num mono muted">{formatClock(r.timestamp)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
