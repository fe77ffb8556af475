// The selected node's properties: its label and a form generated from its params'
// JSON Schema (rjsf), checked as you type, with validation's problems on their fields.
import Form from "@rjsf/core";
import type { RegistryWidgetsType } from "@rjsf/utils";
import validator from "@rjsf/validator-ajv8";
import { memo, useMemo } from "react";
import { CloseIcon } from "../components/icons";
import type { CatalogIndex } from "../lib/catalog";
import { cleanParams, paramsUiSchema, problemsForForm } from "../lib/param-ui";
import { nodeConfig } from "../nodes";
import { useCanvasStore } from "../store/canvas-context";
import { LazyExpressionWidget } from "../components/expression-widget-lazy";
import { useParamExpressionErrors } from "../hooks/use-param-expression-errors";
import { type ParamFormContext, TopicWidget } from "./param-widgets";

const widgets: RegistryWidgetsType = { topic: TopicWidget, expression: LazyExpressionWidget };
const NO_PARAMS: Record<string, unknown> = {};

export const PropertiesPanel = memo(function PropertiesPanel({
  catalog,
  context,
  readOnly,
}: {
  catalog: CatalogIndex;
  context: ParamFormContext;
  readOnly: boolean;
}) {
  const node = useCanvasStore((s) => s.nodes.find((n) => n.id === s.selectedNodeId) ?? null);
  const problems = useCanvasStore((s) => s.problems);
  const updateNode = useCanvasStore((s) => s.updateNode);
  const selectNode = useCanvasStore((s) => s.selectNode);
  const entry = node ? catalog.get(node.data.type) : undefined;
  const uiSchema = useMemo(() => paramsUiSchema(entry?.params_schema), [entry]);
  const formProblems = useMemo(() => (node ? problemsForForm(problems, node.id) : null), [problems, node]);
  const expressionErrors = useParamExpressionErrors(entry?.params_schema, node?.data.params ?? NO_PARAMS);
  const formContext = useMemo(() => ({ ...context, expressionErrors }), [context, expressionErrors]);

  if (!node) {
    return (
      <section className="panel properties properties--empty" aria-label="Node properties">
        <p className="muted">Select a node to edit its properties.</p>
      </section>
    );
  }
  const family = nodeConfig[node.data.family];
  return (
    <section className="panel properties" aria-labelledby="properties-title" data-testid="properties">
      <header className="panel__header">
        <div>
          <p className="panel__eyebrow" style={{ color: family.color }}>
            {family.title} · {node.data.title}
          </p>
          <h2 id="properties-title" className="panel__title">
            {node.data.label}
          </h2>
        </div>
        <button type="button" className="icon-button" aria-label="Close node properties" onClick={() => selectNode(null)}>
          <CloseIcon />
        </button>
      </header>
      {node.data.description && <p className="inspector__description">{node.data.description}</p>}
      <div className="properties__fixed">
        <label className="field">
          <span className="field__label">Label</span>
          <input
            type="text"
            value={node.data.label}
            disabled={readOnly}
            onChange={(e) => updateNode(node.id, { label: e.target.value })}
          />
        </label>
        <p className="field__hint">
          Node id <code>{node.id}</code> (the processor's name: internal topics and stores are named after it)
        </p>
      </div>
      {formProblems && formProblems.other.length > 0 && (
        <ul className="properties__problems" aria-label="Problems of this node">
          {formProblems.other.map((p, i) => (
            <li key={i} className={p.severity === "error" ? "is-error" : "is-warning"}>
              {p.path && <code>{p.path}</code>} {p.message}
            </li>
          ))}
        </ul>
      )}
      {entry ? (
        <Form
          key={node.id}
          className="param-form"
          schema={entry.params_schema as never}
          uiSchema={uiSchema}
          formData={node.data.params}
          validator={validator}
          widgets={widgets}
          formContext={formContext}
          extraErrors={formProblems?.fields as never}
          liveValidate="onChange"
          showErrorList={false}
          disabled={readOnly}
          idPrefix={`param-${node.id}`}
          onChange={(event) => updateNode(node.id, { params: cleanParams((event.formData ?? {}) as Record<string, unknown>) })}
        />
      ) : (
        <p className="inspector__warning">
          The node catalog has no type <code>{node.data.type}</code>; its params cannot be edited here.
        </p>
      )}
    </section>
  );
});
