import { describe, expect, it } from "vitest";
import { cleanParams, paramsUiSchema, problemsForForm } from "./param-ui";

describe("paramsUiSchema", () => {
  it("gives expressions and topics their widgets, inside list items too", () => {
    const ui = paramsUiSchema({
      type: "object",
      properties: {
        predicate: { type: "string", "x-expression": { kind: "predicate", variables: ["key", "value"] } },
        topics: { type: "array", items: { type: "string" } },
        topic: { type: "string" },
        branches: {
          type: "array",
          items: { type: "object", properties: { name: { type: "string" }, predicate: { type: "string", "x-expression": { kind: "predicate" } } } },
        },
        store: { type: "string" },
      },
    });
    expect(ui).toEqual({
      "ui:submitButtonOptions": { norender: true },
      predicate: { "ui:widget": "expression" },
      topics: { items: { "ui:widget": "topic" }, "ui:options": { orderable: false } },
      topic: { "ui:widget": "topic" },
      branches: { items: { predicate: { "ui:widget": "expression" } } },
    });
  });
});

describe("problemsForForm", () => {
  it("puts param problems on their fields and keeps the others apart", () => {
    const { fields, other } = problemsForForm(
      [
        { node_id: "f", path: "params.predicate", severity: "error", message: "name 'vale' is not defined" },
        { node_id: "f", path: "params.branches.1.name", severity: "error", message: "duplicate branch" },
        { node_id: "f", path: "inputs.in", severity: "error", message: "not connected" },
        { node_id: "f", path: "params.store", severity: "warning", message: "store name reused" },
        { node_id: "g", path: "params.predicate", severity: "error", message: "someone else's" },
      ],
      "f",
    );
    expect(fields).toEqual({
      predicate: { __errors: ["name 'vale' is not defined"] },
      branches: { "1": { name: { __errors: ["duplicate branch"] } } },
      store: { __errors: ["warning: store name reused"] },
    });
    expect(other.map((p) => p.path)).toEqual(["inputs.in"]);
  });
});

describe("cleanParams", () => {
  it("drops values a cleared field leaves, keeps falsy values that mean something", () => {
    expect(cleanParams({ a: undefined, b: "", c: 0, d: false, e: [], f: { g: "", h: 1 }, i: null })).toEqual({
      c: 0,
      d: false,
      e: [],
      f: { h: 1 },
      i: null,
    });
  });
});
