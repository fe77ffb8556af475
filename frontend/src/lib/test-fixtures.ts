// Shared test data: the Kafka Streams word count as a document, and the catalog
// entries it uses. Only imported by *.test.ts files.
import type { CatalogEntry } from "../types/catalog";
import type { TopologyDocument } from "../types/document";
import type { MetricsSnapshot } from "../types/metrics";

const stream = (name: string) => ({ name, kind: "stream" });

export const catalogEntries: CatalogEntry[] = [
  {
    type: "source.stream",
    category: "source",
    title: "Stream source",
    description: "Reads a topic as a KStream.",
    inputs: [],
    outputs: [stream("out")],
    params_schema: {
      type: "object",
      properties: { topics: { type: "array", title: "Topics" }, key_serde: { type: "string" } },
    },
  },
  {
    type: "stream.flat_map_values",
    category: "stateless",
    title: "Flat map values",
    description: "Zero or more values per record.",
    inputs: [stream("in")],
    outputs: [stream("out")],
    params_schema: {
      type: "object",
      properties: { expression: { type: "string", title: "Expression", format: "expression" } },
    },
  },
  {
    type: "stream.group_by_key",
    category: "grouping",
    title: "Group by key",
    description: "",
    inputs: [stream("in")],
    outputs: [{ name: "out", kind: "grouped" }],
    params_schema: { type: "object", properties: {} },
  },
  {
    type: "grouped.count",
    category: "aggregation",
    title: "Count",
    description: "",
    inputs: [{ name: "in", kind: "grouped" }],
    outputs: [{ name: "out", kind: "table" }],
    params_schema: { type: "object", properties: { store: { type: "string", title: "Store" } } },
  },
  {
    type: "table.to_stream",
    category: "stateless",
    title: "To stream",
    description: "",
    inputs: [{ name: "in", kind: "table" }],
    outputs: [stream("out")],
    params_schema: { type: "object", properties: {} },
  },
  {
    type: "sink.topic",
    category: "sink",
    title: "Topic sink",
    description: "",
    inputs: [stream("in")],
    outputs: [],
    params_schema: { type: "object", properties: { topic: { type: "string" } } },
  },
];

export function wordCountDocument(): TopologyDocument {
  const at = (x: number, y: number) => ({ x, y });
  return {
    format_version: 1,
    name: "word count",
    description: "Counts words in text lines.",
    settings: { default_key_serde: "string", default_value_serde: "string" },
    nodes: [
      { id: "lines", type: "source.stream", label: "Text lines", params: { topics: ["text-lines"], key_serde: "string" }, position: at(0, 0) },
      { id: "split", type: "stream.flat_map_values", label: "Split into words", params: { expression: "value.lower().split()" }, position: at(250, 0) },
      { id: "group", type: "stream.group_by_key", label: "Group by word", params: {}, position: at(500, 0) },
      { id: "counts", type: "grouped.count", label: "Count", params: { store: "counts" }, position: at(750, 0) },
      { id: "changes", type: "table.to_stream", label: "", params: {}, position: at(1000, 0) },
      { id: "out", type: "sink.topic", label: "Word counts", params: { topic: "word-counts" }, position: at(1250, 0) },
    ],
    edges: [
      { id: "e1", source: "lines", source_port: "out", target: "split", target_port: "in" },
      { id: "e2", source: "split", source_port: "out", target: "group", target_port: "in" },
      { id: "e3", source: "group", source_port: "out", target: "counts", target_port: "in" },
      { id: "e4", source: "counts", source_port: "out", target: "changes", target_port: "in" },
      { id: "e5", source: "changes", source_port: "out", target: "out", target_port: "in" },
    ],
  };
}

/** A replica's metrics snapshot of word count at `timestamp`, nothing processed yet. */
export function metricsSnapshot<T extends MetricsSnapshot = MetricsSnapshot>(overrides: Partial<T> = {}): T {
  const base: MetricsSnapshot = {
    application_id: "wc",
    timestamp: 1_000_000,
    state: "RUNNING",
    tasks: [],
    nodes: {},
    partitions: [],
    samples: [],
    errors: [],
    totals: { "records-in": 0, "records-out": 0 },
  };
  // The extra metric groups of a T are optional, so the base is a T without them.
  return { ...base, ...overrides } as T;
}
