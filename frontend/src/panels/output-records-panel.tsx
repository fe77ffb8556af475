// The latest records the sinks wrote, newest first, or the latest value per key.
import { EmptyState } from "../components/feedback";
import { formatClock, formatRecordField } from "../lib/format";
import { latestByKey } from "../lib/metrics";
import { useDeploymentStore } from "../store/deployment-context";
import { useUiStore } from "../store/ui-context";
import type { OutputSample } from "../types/metrics";

export function OutputRecordsPanel() {
  const samples = useDeploymentStore((s) => s.merged.samples);
  const view = useUiStore((s) => s.outputView);
  const setView = useUiStore((s) => s.setOutputView);
  const rows = view === "by-key" ? latestByKey(samples) : samples;

  return (
    <section className="panel" aria-labelledby="output-title">
      <div className="panel__title-row">
        <h2 id="output-title" className="panel__title panel__title--small">
          Latest output records
        </h2>
        <div className="segmented" role="group" aria-label="Output view">
          <button type="button" aria-pressed={view === "records"} onClick={() => setView("records")}>
            All records
          </button>
          <button type="button" aria-pressed={view === "by-key"} onClick={() => setView("by-key")}>
            Latest per key
          </button>
        </div>
      </div>
      {rows.length === 0 ? (
        <EmptyState title="No output yet">Records written by the sinks appear here as they are produced.</EmptyState>
      ) : (
        <div className="table-scroll table-scroll--tall">
          <table className="data-table" data-testid={view === "by-key" ? "output-by-key" : "output-records"}>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Value</th>
                <th scope="col">Topic</th>
                <th scope="col" className="num">
                  Timestamp
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <OutputRow key={`${s.topic}|${String(s.key)}|${String(s.value)}|${s.timestamp}|${s.node}`} sample={s} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function OutputRow({ sample }: { sample: OutputSample }) {
  const key = formatRecordField(sample.key);
  const value = formatRecordField(sample.value);
  return (
    <tr data-testid="output-record" data-key={key} data-value={value} data-timestamp={sample.timestamp}>
      <td className="mono" title={key}>
        {key}
      </td>
      <td className="mono value-cell" title={value}>
        {value}
      </td>
      <td className="mono muted" title={`written by ${sample.node}`}>
        {sample.topic}
      </td>
      <td className="num mono" title={new Date(sample.timestamp).toISOString()}>
        {formatClock(sample.timestamp)}
      </td>
    </tr>
  );
}
