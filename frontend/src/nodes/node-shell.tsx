// The frame every canvas node shares: family header, label, ports, problem badge and,
// on a dashboard, the live process rate. Family components fill in the body.
import { Handle, Position } from "@xyflow/react";
import type { ReactNode } from "react";
import { AlertIcon } from "../components/icons";
import { portKindLabel } from "../lib/catalog";
import { formatCompact, formatRateWithUnit } from "../lib/format";
import type { FlowNodeData } from "../lib/graph";
import type { KeyParam } from "../lib/key-params";
import type { CatalogPort } from "../types/catalog";
import { useNodeErrorCount, useNodeRate, useNodeTotal } from "../hooks/use-node-rate";
import { useCanvasStore } from "../store/canvas-context";
import { nodeConfig, portKindColor } from "./config";

export function NodeShell({
  data,
  selected,
  children,
}: {
  data: FlowNodeData;
  selected: boolean;
  children?: ReactNode;
}) {
  const family = nodeConfig[data.family];
  const Icon = family.icon;
  const rate = useNodeRate(data.nodeId);
  const failing = useNodeErrorCount(data.nodeId);
  const regroups = useCanvasStore(
    (s) => s.dataflow?.repartitions.filter((r) => r.node_id === data.nodeId && r.port === null).map((r) => r.reason).join("; ") ?? "",
  );
  const store = useCanvasStore((s) => s.dataflow?.stores.find((x) => x.node_id === data.nodeId)?.store ?? null);
  const trial = useCanvasStore((s) => s.trial?.[data.nodeId] ?? null);
  const highlight = useCanvasStore((s) => s.highlight?.[data.nodeId] ?? null);
  const total = useNodeTotal(data.nodeId);
  const classes = [
    "flow-node",
    `flow-node--${data.family}`,
    selected ? "flow-node--selected" : "",
    data.errors ? "flow-node--error" : data.warnings ? "flow-node--warning" : "",
    rate !== null && rate > 0 ? "flow-node--active" : "",
    highlight ? `flow-node--${highlight}` : "",
    failing ? "flow-node--failing" : "",
  ];
  return (
    <div
      className={classes.filter(Boolean).join(" ")}
      style={{ ["--family-color" as string]: family.color }}
      data-node-id={data.nodeId}
      data-diff={highlight ?? undefined}
    >
      <Ports ports={data.inputs} type="target" />
      <header className="flow-node__header">
        <Icon size={13} />
        <span className="flow-node__tag">{family.tag}</span>
        <span className="flow-node__title" title={data.type}>
          {data.title}
        </span>
        {(data.errors > 0 || data.warnings > 0) && (
          <span
            className={`flow-node__problems ${data.errors ? "is-error" : "is-warning"}`}
            title={`${data.errors} error(s), ${data.warnings} warning(s)`}
          >
            <AlertIcon size={11} />
            {data.errors + data.warnings}
          </span>
        )}
      </header>
      <div className="flow-node__body">
        <div className="flow-node__label">{data.label}</div>
        {children}
        {(regroups || store) && (
          <div className="flow-node__flow">
            {regroups && (
              <span className="flow-chip flow-chip--repartition" title={`Repartition topic: ${regroups}`} data-testid="repartition-node">
                ⇄ repartition
              </span>
            )}
            {store && (
              <span className="flow-chip flow-chip--store" title={`State store ${store}, backed by the changelog topic <application.id>-${store}-changelog`} data-testid="store-chip">
                ⛁ {store}
              </span>
            )}
          </div>
        )}
      </div>
      {trial && (
        <div
          className={`flow-node__trial${trial.failed ? " is-failed" : ""}`}
          data-testid="trial-count"
          data-count={trial.count}
          title={trial.failed ? "failed on a test record" : "records passed on in the test run"}
        >
          {trial.failed ? "failed · " : ""}
          {trial.count}
          {trial.truncated ? "+" : ""} out
        </div>
      )}
      {failing > 0 && (
        <div className="flow-node__failing" role="status" data-testid="node-errors" title="Records this node failed on (see the errors panel)">
          {failing} error{failing === 1 ? "" : "s"}
        </div>
      )}
      {rate !== null && (
        <footer className="flow-node__rate" data-testid="node-rate" data-node-id={data.nodeId} data-rate={rate}>
          <span className="flow-node__rate-value">{formatRateWithUnit(rate)}</span>
          <span className="flow-node__rate-total" title="records processed">
            {formatCompact(total ?? 0)} total
          </span>
        </footer>
      )}
      <Ports ports={data.outputs} type="source" />
    </div>
  );
}

function Ports({ ports, type }: { ports: CatalogPort[]; type: "source" | "target" }) {
  const position = type === "target" ? Position.Left : Position.Right;
  // Port names are printed only when they tell something (a join's left/right).
  const named = ports.length > 1 || ports.some((p) => !["in", "out"].includes(p.name));
  return (
    <>
      {ports.map((port, i) => {
        const top = `${((i + 1) / (ports.length + 1)) * 100}%`;
        return (
          <Handle
            key={port.name}
            id={port.name}
            type={type}
            position={position}
            className={`flow-handle flow-handle--${port.kind}`}
            style={{ top, background: portKindColor(port.kind) }}
            title={`${port.name} (${portKindLabel(port.kind)})`}
          >
            {named && <span className={`flow-handle__label flow-handle__label--${type}`}>{port.name}</span>}
          </Handle>
        );
      })}
    </>
  );
}

/** Key parameters as label/value rows. */
export function ParamRows({ params }: { params: KeyParam[] }) {
  if (params.length === 0) return null;
  return (
    <dl className="flow-node__params">
      {params.map((p) => (
        <div key={p.name} className="flow-node__param">
          <dt>{p.label}</dt>
          <dd className={p.code ? "is-code" : undefined} title={p.value}>
            {p.value}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Topic names as chips. */
export function TopicChips({ topics }: { topics: string[] }) {
  if (topics.length === 0) return <div className="flow-node__missing">no topic set</div>;
  return (
    <div className="flow-node__topics">
      {topics.map((t) => (
        <span key={t} className="topic-chip" title={`topic ${t}`}>
          {t}
        </span>
      ))}
    </div>
  );
}
