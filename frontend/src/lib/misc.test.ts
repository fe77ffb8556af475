import { describe, expect, it } from "vitest";
import { nodeFamily, portKindLabel, portsForNode } from "./catalog";
import type { CatalogEntry } from "../types/catalog";
import { readCookie } from "./cookies";
import { describeParamValue, keyParams } from "./key-params";
import { matchRoute, paths } from "./routes";

describe("nodeFamily", () => {
  it("uses the catalog category first", () => {
    expect(nodeFamily("source", "whatever")).toBe("source");
    expect(nodeFamily("sinks", "x")).toBe("sink");
    expect(nodeFamily("stateless", "stream.filter")).toBe("stateless");
    expect(nodeFamily("grouping and aggregation", "x")).toBe("aggregate");
    expect(nodeFamily("windows", "x")).toBe("window");
    expect(nodeFamily("joins", "x")).toBe("join");
    expect(nodeFamily("state/processor", "x")).toBe("processor");
  });

  it("falls back to the type when the category is missing or unknown", () => {
    expect(nodeFamily(undefined, "source.table")).toBe("source");
    expect(nodeFamily("misc", "stream.join_table")).toBe("join");
    expect(nodeFamily(undefined, "grouped.windowed_by")).toBe("window");
    expect(nodeFamily(undefined, "something.else")).toBe("stateless");
  });

  it("prints port kinds with spaces", () => {
    expect(portKindLabel("global_table")).toBe("global table");
  });
});

describe("portsForNode", () => {
  // the shape of runtime.spec's stream.split entry: ports named by the params
  const split: CatalogEntry = {
    type: "stream.split",
    category: "stateless",
    title: "Split",
    description: "",
    inputs: [{ name: "in", kind: "stream" }],
    outputs: [],
    params_schema: {
      type: "object",
      properties: {
        branches: {
          type: "array",
          "x-output-ports": { name_from: "name", kind: "stream" },
        },
        default_branch: { type: "string", "x-output-ports": { kind: "stream" } },
      },
    },
  };

  it("draws one output per branch and one for the default branch", () => {
    const node = {
      id: "route",
      type: "stream.split",
      label: "",
      params: {
        branches: [
          { name: "large", predicate: "True" },
          { name: "small", predicate: "False" },
        ],
        default_branch: "rest",
      },
      position: { x: 0, y: 0 },
    };
    expect(portsForNode(node, split, []).outputs.map((p) => p.name)).toEqual([
      "large",
      "small",
      "rest",
    ]);
  });

  it("draws no branch port before the branch has a name", () => {
    const node = {
      id: "route",
      type: "stream.split",
      label: "",
      params: { branches: [{ name: "", predicate: "True" }] },
      position: { x: 0, y: 0 },
    };
    expect(portsForNode(node, split, []).outputs).toEqual([]);
  });
});

describe("keyParams", () => {
  it("shows topics, then expressions, then stores, then windows", () => {
    const params = {
      store: "counts",
      window: { size_ms: 5000, advance_ms: 1000 },
      predicate: "len(value) > 3",
      key_serde: "string",
      topics: ["a", "b"],
    };
    expect(keyParams(params, undefined, 4)).toEqual([
      { name: "topics", label: "topics", value: "a, b", code: false },
      { name: "predicate", label: "predicate", value: "len(value) > 3", code: true },
      { name: "store", label: "store", value: "counts", code: false },
      { name: "window", label: "window", value: "5 s, advance 1 s", code: false },
    ]);
  });

  it("uses schema titles, honours the limit and skips empty values", () => {
    const schema = { properties: { topic: { title: "Output topic" } } };
    expect(keyParams({ topic: "out", store: "", expression: "value * 2", size_ms: 1 }, schema, 2)).toEqual([
      { name: "topic", label: "Output topic", value: "out", code: false },
      { name: "expression", label: "expression", value: "value * 2", code: true },
    ]);
  });

  it("marks schema-declared expressions as code and cuts long text", () => {
    const long = "value.upper() " + "x".repeat(80);
    const [param] = keyParams({ store_key: long }, { properties: { store_key: { format: "expression" } } });
    expect(param!.code).toBe(true);
    expect(param!.value.length).toBeLessThanOrEqual(44);
    expect(param!.value.endsWith("…")).toBe(true);
  });

  it("summarises window objects", () => {
    expect(describeParamValue("window", { size_ms: 5000, advance_ms: 1000, grace_ms: 0 })).toBe("5 s, advance 1 s, no grace");
    expect(describeParamValue("window", { size_ms: 1000, grace_ms: 500 })).toBe("1 s, grace 500 ms");
    expect(describeParamValue("serdes", { key: "string" })).toBe('{"key":"string"}');
  });

  it("prints durations with units", () => {
    expect(describeParamValue("grace_ms", 1500)).toBe("1.5 s");
    expect(describeParamValue("partitions", 3)).toBe("3");
    expect(describeParamValue("x", null)).toBeNull();
  });
});

describe("routes", () => {
  it("matches the SPA's pages", () => {
    expect(matchRoute("/")).toEqual({ name: "topologies" });
    expect(matchRoute("/topologies/12")).toEqual({ name: "topology", id: 12 });
    expect(matchRoute("/topologies/12/")).toEqual({ name: "topology", id: 12 });
    expect(matchRoute("/deployments/3")).toEqual({ name: "deployment", id: 3 });
    expect(matchRoute("/deployments/abc")).toEqual({ name: "not-found", path: "/deployments/abc" });
  });

  it("builds paths, including the login redirect", () => {
    expect(paths.deployment(4)).toBe("/deployments/4");
    expect(paths.login("/deployments/4")).toBe("/login/?next=%2Fdeployments%2F4");
    expect(paths.login("/")).toBe("/login/");
  });
});

describe("readCookie", () => {
  it("finds Django's csrftoken among other cookies", () => {
    expect(readCookie("sessionid=abc; csrftoken=t0k%3D; theme=x", "csrftoken")).toBe("t0k=");
    expect(readCookie("a=1", "csrftoken")).toBeNull();
    expect(readCookie("", "csrftoken")).toBeNull();
  });
});
