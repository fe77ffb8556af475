// What the property form needs besides the params' JSON Schema: which widget each
// field gets (expressions, topic pickers) and where validation's problems belong.
import type { JsonSchema } from "../types/catalog";
import type { Problem } from "../types/document";

export type UiSchema = Record<string, unknown>;

const TOPIC_FIELDS = new Set(["topic", "topics", "output_topic", "input_topic"]);

/** rjsf's uiSchema for a node type's params: widgets by schema hint, no submit button. */
export function paramsUiSchema(schema: JsonSchema | undefined): UiSchema {
  const ui: UiSchema = { "ui:submitButtonOptions": { norender: true } };
  for (const [name, property] of Object.entries(schema?.properties ?? {})) {
    const field = fieldUi(name, property);
    if (field) ui[name] = field;
  }
  return ui;
}

function fieldUi(name: string, property: JsonSchema): UiSchema | null {
  if (property["x-expression"]) return { "ui:widget": "expression" };
  if (TOPIC_FIELDS.has(name) || property["x-topic"]) {
    if (property.type === "array") return { items: { "ui:widget": "topic" }, "ui:options": { orderable: false } };
    if (property.type === "string") return { "ui:widget": "topic" };
  }
  if (property.type === "array" && property.items?.properties) {
    const items: UiSchema = {};
    for (const [inner, innerProperty] of Object.entries(property.items.properties)) {
      const innerUi = fieldUi(inner, innerProperty);
      if (innerUi) items[inner] = innerUi;
    }
    if (Object.keys(items).length > 0) return { items };
  }
  return null;
}

export interface ErrorTree {
  __errors?: string[];
  [field: string]: ErrorTree | string[] | undefined;
}

/**
 * A node's problems split into the form's extra errors (paths under `params.`, put on
 * their field, `params.branches.1.name` on that item's field) and the rest (ports,
 * the node as a whole), listed apart.
 */
export function problemsForForm(problems: readonly Problem[], nodeId: string): { fields: ErrorTree; other: Problem[] } {
  const fields: ErrorTree = {};
  const other: Problem[] = [];
  for (const problem of problems) {
    if (problem.node_id !== nodeId) continue;
    const path = problem.path.split(".");
    if (path[0] !== "params" || path.length < 2) {
      other.push(problem);
      continue;
    }
    let at: ErrorTree = fields;
    for (const key of path.slice(1)) {
      at = (at[key] as ErrorTree | undefined) ?? (at[key] = {});
    }
    (at.__errors ??= []).push(problem.severity === "error" ? problem.message : `warning: ${problem.message}`);
  }
  return { fields, other };
}

/** Params without the empty values a form leaves behind (undefined, ""), recursively in objects. */
export function cleanParams(params: Record<string, unknown>): Record<string, unknown> {
  const clean: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === "") continue;
    clean[name] = value !== null && typeof value === "object" && !Array.isArray(value) ? cleanParams(value as Record<string, unknown>) : value;
  }
  return clean;
}
