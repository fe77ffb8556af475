// How ExpressionWidget reads an rjsf property: the expression kind and variables from
// the property's schema (`x-expression`, runtime.spec's catalog), the completion data
// and compile errors from the form's context. Pure, so the contract is tested.
import type { ExpressionFunction } from "./expression-completion";
import type { ExpressionErrorInfo } from "./expression-errors";

/**
 * What a form hands ExpressionWidget in its `formContext` (rjsf 6 passes it to widgets
 * as `registry.formContext`):
 * - `expressionFields`: dotted field paths of sample record values (`fieldPaths()`);
 * - `expressionFunctions`: the callable functions (`fetchExpressionFunctions()`);
 * - `expressionErrors`: compile errors (`checkExpression()`), keyed by the widget's rjsf
 *   id (`root_predicate`, `root_branches_0_predicate`) or else by the property's name
 *   (`predicate`); null or missing for none.
 */
export interface ExpressionFormContext {
  expressionFields?: string[];
  expressionFunctions?: ExpressionFunction[];
  expressionErrors?: Record<string, ExpressionErrorInfo | null | undefined>;
}

export interface WidgetEditorInput {
  kind: string;
  variables: string[];
  fields: string[];
  functions: ExpressionFunction[];
  error: ExpressionErrorInfo | null;
}

const NO_STRINGS: string[] = [];
const NO_FUNCTIONS: ExpressionFunction[] = [];

/** The default kind when a schema lacks `x-expression`: a mapper sees key and value. */
export const FALLBACK_KIND = "mapper";

export function widgetEditorInput(
  schema: Record<string, unknown>,
  formContext: unknown,
  id: string,
  name: string,
): WidgetEditorInput {
  const spec = schema["x-expression"];
  const x = typeof spec === "object" && spec !== null ? (spec as { kind?: unknown; variables?: unknown }) : {};
  const kind = typeof x.kind === "string" ? x.kind : FALLBACK_KIND;
  const variables = Array.isArray(x.variables)
    ? x.variables.filter((v): v is string => typeof v === "string")
    : kind === FALLBACK_KIND
      ? ["key", "value"]
      : NO_STRINGS;
  const context = (typeof formContext === "object" && formContext !== null ? formContext : {}) as ExpressionFormContext;
  const errors = context.expressionErrors ?? {};
  const error = (Object.hasOwn(errors, id) ? errors[id] : errors[name]) ?? null;
  return {
    kind,
    variables,
    fields: Array.isArray(context.expressionFields) ? context.expressionFields : NO_STRINGS,
    functions: Array.isArray(context.expressionFunctions) ? context.expressionFunctions : NO_FUNCTIONS,
    error,
  };
}
