// ExpressionWidget loaded on first use, so CodeMirror stays out of the first page load;
// until it arrives, a plain text field edits the same value.
import type { WidgetProps } from "@rjsf/utils";
import { Suspense, lazy } from "react";

const ExpressionWidget = lazy(() => import("./expression-editor").then((m) => ({ default: m.ExpressionWidget })));

export function LazyExpressionWidget(props: WidgetProps) {
  const { id, name, value, onChange, label, schema, disabled, readonly } = props;
  const fallback = (
    <textarea
      id={id}
      className="expression-editor__fallback"
      rows={1}
      aria-label={label || schema.title || name}
      value={typeof value === "string" ? value : ""}
      disabled={disabled}
      readOnly={readonly}
      onChange={(event) => onChange(event.target.value === "" ? undefined : event.target.value)}
    />
  );
  return (
    <Suspense fallback={fallback}>
      <ExpressionWidget {...props} />
    </Suspense>
  );
}
