import { describe, expect, it } from "vitest";
import {
  type CompletionSources,
  childFields,
  completionOptions,
  completionSite,
  fieldPaths,
  scanStrings,
} from "./expression-completion";

const sources: CompletionSources = {
  variables: ["key", "value"],
  fields: ["amount", "user", "user.name", "user.address", "user.address.city", "items", "items.0.sku", 'say "hi"'],
  functions: [
    { name: "json_get", signature: "json_get(obj, 'a.b.0.c', default=None)", doc: "a nested field by dotted path" },
    { name: "len", signature: "len(x)", doc: "number of items" },
    { name: "lower", signature: "lower(s)" },
  ],
};

const labels = (before: string, from: CompletionSources = sources) => {
  const site = completionSite(before);
  return site ? completionOptions(site, from).map((o) => o.label) : null;
};

describe("completionSite", () => {
  it("finds the identifier being written", () => {
    expect(completionSite("val")).toEqual({ kind: "name", from: 0, prefix: "val" });
    expect(completionSite('value["a"] > 1 and ke')).toEqual({ kind: "name", from: 19, prefix: "ke" });
    expect(completionSite("len(")).toEqual({ kind: "name", from: 4, prefix: "" });
  });

  it("knows a field subscript from other strings", () => {
    expect(completionSite('value["am')).toMatchObject({ kind: "field", from: 7, prefix: "am", quote: '"', receiver: "value", path: [] });
    expect(completionSite("value.get('us")).toMatchObject({ kind: "field", from: 11, prefix: "us", quote: "'", path: [] });
    expect(completionSite('key == "am')).toBeNull();
    expect(completionSite('lower("am')).toBeNull();
  });

  it("follows subscripts and .get() calls into nested fields", () => {
    expect(completionSite('value["user"]["address"]["')).toMatchObject({ kind: "field", path: ["user", "address"], prefix: "" });
    expect(completionSite('value.get("user", {})["')).toMatchObject({ kind: "field", path: ["user"] });
    expect(completionSite("value['user'].get('na")).toMatchObject({ kind: "field", path: ["user"], prefix: "na" });
  });

  it("knows json_get's dotted path, also below a subscript", () => {
    expect(completionSite('json_get(value, "user.na')).toMatchObject({ kind: "json-path", prefix: "user.na", receiver: "value", path: [] });
    expect(completionSite('json_get(value["user"], "')).toMatchObject({ kind: "json-path", prefix: "", path: ["user"] });
    // The path is json_get's second argument, not its first.
    expect(completionSite('json_get("')).toBeNull();
  });

  it("offers methods after a dot, but not in numbers", () => {
    expect(completionSite('value["name"].lo')).toEqual({ kind: "method", from: 14, prefix: "lo" });
    expect(completionSite("value.")).toEqual({ kind: "method", from: 6, prefix: "" });
    expect(completionSite("1.")).toBeNull();
    expect(completionSite("x > 1.5e")).toBeNull();
  });

  it("offers nothing in comments, f-strings, raw strings or closed strings' neighbours", () => {
    expect(completionSite("value  # the va")).toBeNull();
    expect(completionSite('f"total: val')).toBeNull();
    expect(completionSite('value[r"')).toBeNull();
    // After a closed field string the cursor is back in code.
    expect(completionSite('value["a"] + va')).toMatchObject({ kind: "name", prefix: "va" });
  });

  it("reads escaped quotes inside the field being typed", () => {
    expect(completionSite('value["say \\"h')).toMatchObject({ kind: "field", prefix: 'say "h' });
  });

  it("works on the later lines of a multi-line expression", () => {
    const text = 'value["amount"] > 100\n  and value["us';
    expect(completionSite(text)).toMatchObject({ kind: "field", from: text.length - 2, prefix: "us" });
  });
});

describe("completionOptions", () => {
  it("offers the kind's variables, then functions, then keywords", () => {
    expect(labels("")).toEqual(["key", "value", "json_get", "len", "lower", "and", "or", "not", "in", "is", "if", "else", "for", "None", "True", "False"]);
    expect(labels("l")).toEqual(["len", "lower"]);
    expect(labels("V")).toEqual(["value"]);
  });

  it("shows a function's signature and doc, and opens its call", () => {
    const site = completionSite("json")!;
    expect(completionOptions(site, sources)).toEqual([
      {
        label: "json_get",
        type: "function",
        detail: "json_get(obj, 'a.b.0.c', default=None)",
        info: "a nested field by dotted path",
        apply: "json_get(",
      },
    ]);
  });

  it("offers the record's top-level fields in a value subscript", () => {
    expect(labels('value["')).toEqual(["amount", "user", "items", 'say "hi"']);
    expect(labels('value["u')).toEqual(["user"]);
  });

  it("offers nested fields below the subscripted ones, never list indices", () => {
    expect(labels('value["user"]["')).toEqual(["name", "address"]);
    expect(labels('value["user"]["address"]["')).toEqual(["city"]);
    expect(labels('value["items"]["')).toEqual([]);
  });

  it("escapes the quote the field string uses", () => {
    const site = completionSite('value["say')!;
    expect(completionOptions(site, sources).map((o) => o.apply)).toEqual(['say \\"hi\\"']);
    const single = completionSite("value['say")!;
    expect(completionOptions(single, sources).map((o) => o.apply)).toEqual(['say "hi"']);
  });

  it("offers full dotted paths in json_get, relative to a subscripted receiver", () => {
    expect(labels('json_get(value, "user.a')).toEqual(["user.address", "user.address.city"]);
    expect(labels('json_get(value, "items.')).toEqual(["items.0.sku"]);
    expect(labels('json_get(value["user"], "')).toEqual(["name", "address", "address.city"]);
  });

  it("offers fields only for variables the kind has and that hold record values", () => {
    expect(labels('key["')).toEqual([]);
    expect(labels('left["', { ...sources, variables: ["left", "right"] })).toEqual(["amount", "user", "items", 'say "hi"']);
    expect(labels('left["')).toEqual([]); // a predicate has no `left`
  });

  it("offers the allowed methods after a dot", () => {
    const options = completionOptions(completionSite("value.ge")!, sources);
    expect(options.map((o) => o.label)).toEqual(["get"]);
    expect(options[0]).toMatchObject({ type: "method", detail: "method of dict", apply: "get(" });
    expect(labels("value.st")).toEqual(["startswith", "strip", "start"]);
    expect(labels("key.__cl")).toEqual([]);
  });
});

describe("fieldPaths", () => {
  it("lists nested paths in first-seen order without repeats", () => {
    const values = [
      { id: 1, user: { name: "a", tags: ["x"] } },
      { id: 2, user: { name: "b", address: { city: "Oslo" } }, extra: null },
    ];
    expect(fieldPaths(values)).toEqual(["id", "user", "user.name", "user.tags", "user.address", "user.address.city", "extra"]);
  });

  it("describes a list of objects by its first item, at index 0", () => {
    expect(fieldPaths([{ items: [{ sku: "a", qty: 1 }, { other: true }] }])).toEqual(["items", "items.0.sku", "items.0.qty"]);
  });

  it("parses values that are JSON text and ignores other scalars", () => {
    expect(fieldPaths(['{"amount": 5, "currency": "EUR"}', "plain text", 42, null, [1, 2]])).toEqual(["amount", "currency"]);
  });

  it("stops at the depth and count limits", () => {
    const deep = { a: { b: { c: { d: 1 } } } };
    expect(fieldPaths([deep], { maxDepth: 2 })).toEqual(["a", "a.b"]);
    expect(fieldPaths([{ a: 1, b: 2, c: 3 }], { limit: 2 })).toEqual(["a", "b"]);
  });
});

describe("childFields", () => {
  it("lists one level below a path", () => {
    expect(childFields(["a", "a.b", "a.b.c", "a.d", "e"], [])).toEqual(["a", "e"]);
    expect(childFields(["a", "a.b", "a.b.c", "a.d", "e"], ["a"])).toEqual(["b", "d"]);
    expect(childFields(["a", "ab.c"], ["a"])).toEqual([]);
  });
});

describe("scanStrings", () => {
  it("tracks triple-quoted and prefixed strings", () => {
    expect(scanStrings('"""abc').openString).toMatchObject({ start: 0, triple: true });
    expect(scanStrings('x + rb"ab').openString).toMatchObject({ start: 6, prefixLength: 2 });
    expect(scanStrings('"a" + "b"').openString).toBeNull();
    expect(scanStrings('"it\'s" # a "comment').inComment).toBe(true);
  });
});
