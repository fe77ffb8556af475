import { describe, expect, it } from "vitest";
import { widgetEditorInput } from "./expression-widget";

const schema = { type: "string", "x-expression": { kind: "reducer", variables: ["agg", "value"] } };

describe("widgetEditorInput", () => {
  it("reads the kind and variables from the property's x-expression", () => {
    const input = widgetEditorInput(schema, {}, "root_reducer", "reducer");
    expect(input).toMatchObject({ kind: "reducer", variables: ["agg", "value"], fields: [], functions: [], error: null });
  });

  it("reads fields, functions and the error from the form context", () => {
    const error = { message: "unknown name 'x'", line: 1, column: 1 };
    const input = widgetEditorInput(
      schema,
      { expressionFields: ["amount"], expressionFunctions: [{ name: "len" }], expressionErrors: { root_reducer: error } },
      "root_reducer",
      "reducer",
    );
    expect(input).toMatchObject({ fields: ["amount"], functions: [{ name: "len" }], error });
  });

  it("finds the error by the widget id first, then by the property name", () => {
    const byName = { message: "by name" };
    const byId = { message: "by id" };
    expect(widgetEditorInput(schema, { expressionErrors: { reducer: byName } }, "root_reducer", "reducer").error).toBe(byName);
    expect(widgetEditorInput(schema, { expressionErrors: { reducer: byName, root_reducer: byId } }, "root_reducer", "reducer").error).toBe(byId);
    // An id listed as null means "no error" for that widget, even if the name has one.
    expect(widgetEditorInput(schema, { expressionErrors: { reducer: byName, root_reducer: null } }, "root_reducer", "reducer").error).toBeNull();
  });

  it("falls back to a mapper of key and value without x-expression, and tolerates no context", () => {
    expect(widgetEditorInput({ type: "string" }, undefined, "root_x", "x")).toMatchObject({ kind: "mapper", variables: ["key", "value"] });
    expect(widgetEditorInput({ "x-expression": { kind: "initializer", variables: [] } }, null, "i", "i")).toMatchObject({
      kind: "initializer",
      variables: [],
    });
  });
});
