// Version history: every saved version with its message, and what changed between a
// version and the one before it (nodes added, removed, changed with each param).
import { useState } from "react";
import { api } from "../api/client";
import { fetchVersions } from "../api/topologies";
import { ErrorMessage, Spinner } from "../components/feedback";
import { useResource } from "../hooks/use-resource";
import { formatDateTime } from "../lib/format";
import type { CatalogIndex } from "../lib/catalog";
import { diffHighlight } from "../lib/version-diff";
import { useCanvasStore } from "../store/canvas-context";
import type { VersionDiff } from "../types/diff";
import { DiffCanvasDialog } from "./diff-canvas-dialog";

const nodeId = (n: { id: string } | string) => (typeof n === "string" ? n : n.id);

export function VersionsPanel({
  topologyId,
  latest,
  catalog,
}: {
  topologyId: number;
  latest: number | null;
  catalog: CatalogIndex;
}) {
  const versions = useResource((signal) => fetchVersions(topologyId, signal), [topologyId, latest]);
  const [open, setOpen] = useState<number | null>(null);
  const [pair, setPair] = useState<{ from: number; to: number } | null>(null);
  const setHighlight = useCanvasStore((s) => s.setHighlight);
  if (versions.error) return <ErrorMessage error={versions.error} onRetry={versions.reload} />;
  if (!versions.data) return <Spinner label="Loading versions" />;
  if (versions.data.results.length === 0) return <p className="muted">No version saved yet.</p>;
  const numbers = versions.data.results.map((v) => v.number).sort((a, b) => a - b);
  return (
    <section className="panel versions" aria-label="Version history">
      {numbers.length > 1 && (
        <ComparePicker
          numbers={numbers}
          onCompare={(from, to) => {
            setHighlight(null);
            setOpen(null);
            setPair({ from, to });
          }}
        />
      )}
      {pair && <DiffView topologyId={topologyId} from={pair.from} to={pair.to} catalog={catalog} />}
      <ol className="versions__list" reversed>
        {[...versions.data.results]
          .sort((a, b) => b.number - a.number)
          .map((v) => (
            <li key={v.id} className="versions__item">
              <div className="versions__head">
                <span className="version-pill">v{v.number}</span>
                <span className="muted">
                  {formatDateTime(v.created_at)}
                  {v.created_by ? ` · ${v.created_by}` : ""}
                </span>
              </div>
              {v.message && <p className="versions__message">{v.message}</p>}
              {v.number > 1 && (
                <button
                  type="button"
                  className="button button--ghost button--small"
                  aria-expanded={open === v.number}
                  onClick={() => {
                    setHighlight(null);
                    setPair(null);
                    setOpen(open === v.number ? null : v.number);
                  }}
                >
                  {open === v.number ? "Hide changes" : `Changes since v${v.number - 1}`}
                </button>
              )}
              {open === v.number && <DiffView topologyId={topologyId} from={v.number - 1} to={v.number} catalog={catalog} />}
            </li>
          ))}
      </ol>
    </section>
  );
}

/** Any two versions compared (the older first), not only a version and its predecessor. */
function ComparePicker({ numbers, onCompare }: { numbers: number[]; onCompare: (from: number, to: number) => void }) {
  const [from, setFrom] = useState(numbers[0]!);
  const [to, setTo] = useState(numbers[numbers.length - 1]!);
  return (
    <form
      className="versions__compare"
      aria-label="Compare two versions"
      onSubmit={(e) => {
        e.preventDefault();
        onCompare(Math.min(from, to), Math.max(from, to));
      }}
    >
      <VersionSelect label="Compare" numbers={numbers} value={from} onChange={setFrom} />
      <VersionSelect label="with" numbers={numbers} value={to} onChange={setTo} />
      <button type="submit" className="button button--ghost button--small" disabled={from === to}>
        Compare
      </button>
    </form>
  );
}

function VersionSelect({
  label,
  numbers,
  value,
  onChange,
}: {
  label: string;
  numbers: number[];
  value: number;
  onChange: (n: number) => void;
}) {
  return (
    <label>
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(Number(e.target.value))}>
        {numbers.map((n) => (
          <option key={n} value={n}>
            v{n}
          </option>
        ))}
      </select>
    </label>
  );
}

function DiffView({
  topologyId,
  from,
  to,
  catalog,
}: {
  topologyId: number;
  from: number;
  to: number;
  catalog: CatalogIndex;
}) {
  const setHighlight = useCanvasStore((s) => s.setHighlight);
  const [drawing, setDrawing] = useState(false);
  const highlighted = useCanvasStore((s) => s.highlight !== null);
  const diff = useResource(
    (signal) => api.get<VersionDiff>(`/api/topologies/${topologyId}/diff/?from=${from}&to=${to}`, signal),
    [topologyId, from, to],
  );
  if (diff.error) return <ErrorMessage error={diff.error} onRetry={diff.reload} />;
  if (!diff.data) return <Spinner label="Comparing versions" />;
  const d = diff.data;
  const empty =
    d.added_nodes.length + d.removed_nodes.length + d.changed_nodes.length + d.added_edges.length + d.removed_edges.length === 0;
  return (
    <div className="diff" data-testid="version-diff">
      {empty && <p className="muted">Only positions changed.</p>}
      {d.added_nodes.length > 0 && (
        <p className="diff__added">Added: {d.added_nodes.map(nodeId).join(", ")}</p>
      )}
      {d.removed_nodes.length > 0 && (
        <p className="diff__removed">Removed: {d.removed_nodes.map(nodeId).join(", ")}</p>
      )}
      {d.changed_nodes.map((c) => (
        <div key={c.id} className="diff__changed">
          <p>
            Changed <code>{c.id}</code>
          </p>
          <ul>
            {c.changes.map((f) => (
              <li key={f.field}>
                <code>{f.field}</code>: <del>{JSON.stringify(f.before)}</del> → <ins>{JSON.stringify(f.after)}</ins>
              </li>
            ))}
          </ul>
        </div>
      ))}
      {!empty && (
        <div className="form-actions">
          <button type="button" className="button button--small" onClick={() => setDrawing(true)}>
            Draw the comparison
          </button>
          <button
            type="button"
            className="button button--ghost button--small"
            aria-pressed={highlighted}
            onClick={() => setHighlight(highlighted ? null : diffHighlight(d))}
          >
            {highlighted ? "Clear the canvas marks" : `Mark v${to}'s changes on the canvas`}
          </button>
        </div>
      )}
      {drawing && <DiffCanvasDialog topologyId={topologyId} diff={d} catalog={catalog} onClose={() => setDrawing(false)} />}
      {(d.added_edges.length > 0 || d.removed_edges.length > 0) && (
        <p className="muted">
          {d.added_edges.length} connection(s) added, {d.removed_edges.length} removed.
        </p>
      )}
    </div>
  );
}
