// The selected node's details: what it is, its ports and every parameter.
import { CloseIcon } from "../components/icons";
import { type CatalogIndex, portKindLabel } from "../lib/catalog";
import { describeParamValue, paramLabel } from "../lib/key-params";
import { nodeConfig, portKindColor } from "../nodes";
import { useCanvasStore } from "../store/canvas-context";

export function InspectorPanel({ catalog }: { catalog: CatalogIndex }) {
  const node = useCanvasStore((s) => s.nodes.find((n) => n.id === s.selectedNodeId) ?? null);
  const selectNode = useCanvasStore((s) => s.selectNode);
  if (!node) return null;
  const { data } = node;
  const schema = catalog.get(data.type)?.params_schema;
  const family = nodeConfig[data.family];
  const params = Object.entries(data.params);

  return (
    <section className="panel inspector" aria-labelledby="inspector-title" data-testid="inspector">
      <header className="panel__header">
        <div>
          <p className="panel__eyebrow" style={{ color: family.color }}>
            {family.title} · {data.title}
          </p>
          <h2 id="inspector-title" className="panel__title">
            {data.label}
          </h2>
        </div>
        <button
          type="button"
          className="icon-button"
          aria-label="Close node details"
          onClick={() => selectNode(null)}
        >
          <CloseIcon />
        </button>
      </header>
      {data.description && <p className="inspector__description">{data.description}</p>}
      {!data.known && (
        <p className="inspector__warning">
          The node catalog has no type <code>{data.type}</code>; it is shown as stored.
        </p>
      )}
      <dl className="facts">
        <div>
          <dt>Node id</dt>
          <dd>
            <code>{data.nodeId}</code>
          </dd>
        </div>
        <div>
          <dt>Type</dt>
          <dd>
            <code>{data.type}</code>
          </dd>
        </div>
        {data.inputs.length > 0 && (
          <div>
            <dt>Inputs</dt>
            <dd className="ports">
              {data.inputs.map((p) => (
                <PortTag key={p.name} name={p.name} kind={p.kind} />
              ))}
            </dd>
          </div>
        )}
        {data.outputs.length > 0 && (
          <div>
            <dt>Outputs</dt>
            <dd className="ports">
              {data.outputs.map((p) => (
                <PortTag key={p.name} name={p.name} kind={p.kind} />
              ))}
            </dd>
          </div>
        )}
      </dl>
      <h3 className="panel__subtitle">Parameters</h3>
      {params.length === 0 ? (
        <p className="muted">This node has no parameters.</p>
      ) : (
        <dl className="params">
          {params.map(([name, value]) => {
            const help = schema?.properties?.[name]?.description;
            return (
              <div key={name} className="params__row">
                <dt title={help}>{paramLabel(name, schema)}</dt>
                <dd>
                  <ParamValue name={name} value={value} />
                </dd>
              </div>
            );
          })}
        </dl>
      )}
    </section>
  );
}

function PortTag({ name, kind }: { name: string; kind: string }) {
  return (
    <span className="port-tag">
      <span className="port-tag__dot" style={{ background: portKindColor(kind) }} aria-hidden="true" />
      {name}
      <span className="port-tag__kind">{portKindLabel(kind)}</span>
    </span>
  );
}

function ParamValue({ name, value }: { name: string; value: unknown }) {
  if (value === null || value === undefined || value === "") return <span className="muted">not set</span>;
  if (typeof value === "string") return <code className="param-code">{value}</code>;
  if (typeof value === "number" || typeof value === "boolean") return <code>{String(value)}</code>;
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
    return (
      <span className="chips">
        {value.map((v) => (
          <span key={v} className="topic-chip">
            {v}
          </span>
        ))}
      </span>
    );
  }
  // Objects (windows, serde settings) get their one-line summary above the raw JSON.
  const summary = describeParamValue(name, value);
  const json = JSON.stringify(value, null, 2);
  return (
    <>
      {summary && summary !== JSON.stringify(value) && <span className="param-summary">{summary}</span>}
      <pre className="param-json">{json}</pre>
    </>
  );
}
