// Data for the mock studio: a node catalog and the three example topologies.
const port = (name, kind = "stream") => ({ name, kind });
const expr = (title, description) => ({ type: "string", title, description, format: "expression" });
const serde = { type: "string", enum: ["string", "json", "long", "integer", "double", "bytes"], default: "string" };

export const catalog = [
  { type: "source.stream", category: "source", title: "Stream source", description: "Reads one or more topics as a KStream.", inputs: [], outputs: [port("out")],
    params_schema: { type: "object", properties: { topics: { type: "array", title: "Topics", items: { type: "string" } }, key_serde: { ...serde, title: "Key serde" }, value_serde: { ...serde, title: "Value serde" } } } },
  { type: "source.table", category: "source", title: "Table source", description: "Reads a topic as a KTable, materialized in a store.", inputs: [], outputs: [port("out", "table")],
    params_schema: { type: "object", properties: { topics: { type: "array", title: "Topic" }, store: { type: "string", title: "Store" }, key_serde: serde, value_serde: serde } } },
  { type: "stream.flat_map_values", category: "stateless", title: "Flat map values", description: "Turns each value into zero or more values.", inputs: [port("in")], outputs: [port("out")],
    params_schema: { type: "object", properties: { expression: expr("Expression", "Returns a list of new values for `value`.") } } },
  { type: "stream.map", category: "stateless", title: "Map", description: "Computes a new key and value for each record.", inputs: [port("in")], outputs: [port("out")],
    params_schema: { type: "object", properties: { key: expr("Key", "New key"), value: expr("Value", "New value") } } },
  { type: "stream.filter", category: "stateless", title: "Filter", description: "Keeps the records for which the predicate is true.", inputs: [port("in")], outputs: [port("out")],
    params_schema: { type: "object", properties: { predicate: expr("Predicate", "Keep the record when true.") } } },
  { type: "stream.group_by_key", category: "grouping", title: "Group by key", description: "Groups records by their current key (repartitions when the key changed).", inputs: [port("in")], outputs: [port("out", "grouped")],
    params_schema: { type: "object", properties: { key_serde: serde, value_serde: serde } } },
  { type: "grouped.count", category: "aggregation", title: "Count", description: "Counts records per key into a table.", inputs: [port("in", "grouped")], outputs: [port("out", "table")],
    params_schema: { type: "object", properties: { store: { type: "string", title: "Store" } } } },
  { type: "grouped.windowed_by", category: "windows", title: "Windowed by", description: "Time, hopping, sliding or session windows over a grouped stream.", inputs: [port("in", "grouped")], outputs: [port("out", "windowed")],
    params_schema: { type: "object", properties: { window: { type: "object", title: "Window" } } } },
  { type: "windowed.aggregate", category: "aggregation", title: "Aggregate", description: "Aggregates each window per key.", inputs: [port("in", "windowed")], outputs: [port("out", "table")],
    params_schema: { type: "object", properties: { initializer: expr("Initializer"), aggregator: expr("Aggregator"), store: { type: "string", title: "Store" } } } },
  { type: "table.to_stream", category: "stateless", title: "To stream", description: "The table's changelog as a stream.", inputs: [port("in", "table")], outputs: [port("out")],
    params_schema: { type: "object", properties: {} } },
  { type: "stream.join_table", category: "joins", title: "Stream-table join", description: "Enriches each stream record with the table's current value for its key.", inputs: [port("left"), port("right", "table")], outputs: [port("out")],
    params_schema: { type: "object", properties: { joiner: expr("Joiner"), kind: { type: "string", enum: ["inner", "left"] } } } },
  { type: "stream.join_stream", category: "joins", title: "Stream-stream join", description: "Joins records of two streams that share a key and lie within the join window.", inputs: [port("left"), port("right")], outputs: [port("out")],
    params_schema: { type: "object", properties: { joiner: expr("Joiner"), window: { type: "object", title: "Window" }, kind: { type: "string" } } } },
  { type: "sink.topic", category: "sink", title: "Topic sink", description: "Writes the stream to a topic.", inputs: [port("in")], outputs: [],
    params_schema: { type: "object", properties: { topic: { type: "string", title: "Topic" }, key_serde: serde, value_serde: serde } } },
];

const at = (x, y) => ({ x, y });
const created = "2024-11-25T09:12:00Z";

const wordCountDescribe = `Topologies:
   Sub-topology: 0
    Source: lines (topics: [text-lines])
      --> split
    Processor: split (stores: [])
      --> words
      <-- lines
    Processor: words (stores: [])
      --> nonempty
      <-- split
    Processor: nonempty (stores: [])
      --> group-repartition-filter
      <-- words
    Processor: group-repartition-filter (stores: [])
      --> group-repartition-sink
      <-- nonempty
    Sink: group-repartition-sink (topic: group-repartition)
      <-- group-repartition-filter

  Sub-topology: 1
    Source: group-repartition-source (topics: [group-repartition])
      --> counts
    Processor: counts (stores: [counts])
      --> changes
      <-- group-repartition-source
    Processor: changes (stores: [])
      --> out
      <-- counts
    Sink: out (topic: word-counts)
      <-- changes
`;

export const topologies = [
  {
    id: 1, slug: "word-count", name: "word count",
    description: "The Kafka Streams word count: splits text lines into words and keeps a running count per word.",
    versions: [{
      id: 11, number: 2, message: "Drop empty words", created_at: created, created_by: "demo",
      describe: wordCountDescribe, problems: [],
      document: {
        format_version: 1, name: "word count", description: "",
        settings: { default_key_serde: "string", default_value_serde: "string" },
        nodes: [
          { id: "lines", type: "source.stream", label: "Text lines", params: { topics: ["text-lines"], key_serde: "string", value_serde: "string" }, position: at(0, 0) },
          { id: "split", type: "stream.flat_map_values", label: "Split into words", params: { expression: "value.lower().split()" }, position: at(0, 0) },
          { id: "words", type: "stream.map", label: "Key by word", params: { key: "value", value: "value" }, position: at(0, 0) },
          { id: "nonempty", type: "stream.filter", label: "Drop empty words", params: { predicate: "len(value) > 0" }, position: at(0, 0) },
          { id: "group", type: "stream.group_by_key", label: "Group by word", params: { key_serde: "string", value_serde: "string" }, position: at(0, 0) },
          { id: "counts", type: "grouped.count", label: "Count per word", params: { store: "counts" }, position: at(0, 0) },
          { id: "changes", type: "table.to_stream", label: "Count updates", params: {}, position: at(0, 0) },
          { id: "out", type: "sink.topic", label: "Word counts", params: { topic: "word-counts", key_serde: "string", value_serde: "long" }, position: at(0, 0) },
        ],
        edges: [
          ["lines", "split"], ["split", "words"], ["words", "nonempty"], ["nonempty", "group"],
          ["group", "counts"], ["counts", "changes"], ["changes", "out"],
        ].map(([source, target], i) => ({ id: `e${i + 1}`, source, source_port: "out", target, target_port: "in" })),
      },
    }],
  },
  {
    id: 2, slug: "stock-stats", name: "stock-market statistics",
    description: "Per ticker over a 5 s hopping window advancing by 1 s: trade count, minimum and average price.",
    versions: [{
      id: 21, number: 1, message: "Initial version", created_at: created, created_by: "demo",
      describe: "Topologies:\n   Sub-topology: 0\n    Source: trades (topics: [stock-trades])\n      --> by-ticker\n", problems: [],
      document: {
        format_version: 1, name: "stock-market statistics", settings: {},
        nodes: [
          { id: "trades", type: "source.stream", label: "Trades", params: { topics: ["stock-trades"], value_serde: "json" }, position: at(0, 60) },
          { id: "by-ticker", type: "stream.group_by_key", label: "Group by ticker", params: {}, position: at(290, 60) },
          { id: "windows", type: "grouped.windowed_by", label: "5 s hopping, 1 s", params: { window: { kind: "hopping", size_ms: 5000, advance_ms: 1000, grace_ms: 0 } }, position: at(580, 60) },
          { id: "stats", type: "windowed.aggregate", label: "Count, min, average", params: { initializer: "{'count': 0, 'min': None, 'sum': 0.0}", aggregator: "{'count': agg['count'] + 1, 'min': min_or(agg['min'], value['price']), 'sum': agg['sum'] + value['price']}", store: "stock-stats" }, position: at(870, 60) },
          { id: "stats-stream", type: "table.to_stream", label: "Window results", params: {}, position: at(1160, 60) },
          { id: "out", type: "sink.topic", label: "Statistics", params: { topic: "stock-stats" }, position: at(1450, 60) },
        ],
        edges: [["trades", "by-ticker"], ["by-ticker", "windows"], ["windows", "stats"], ["stats", "stats-stream"], ["stats-stream", "out"]]
          .map(([source, target], i) => ({ id: `e${i + 1}`, source, source_port: "out", target, target_port: "in" })),
      },
    }],
  },
  {
    id: 3, slug: "click-enrichment", name: "click-stream enrichment",
    description: "Joins page views to the user-profile table and to searches within a 1 s window.",
    versions: [{
      id: 31, number: 3, message: "Join searches", created_at: created, created_by: "demo",
      describe: "Topologies:\n   Sub-topology: 0\n    Source: views (topics: [page-views])\n", 
      problems: [{ node_id: "with-search", path: "params.joiner", severity: "warning", message: "The joiner ignores the right value when it is null (left join semantics apply)." }],
      document: {
        format_version: 1, name: "click-stream enrichment", settings: {},
        nodes: [
          { id: "views", type: "source.stream", label: "Page views", params: { topics: ["page-views"], value_serde: "json" } },
          { id: "profiles", type: "source.table", label: "User profiles", params: { topics: ["user-profiles"], store: "profiles", value_serde: "json" } },
          { id: "searches", type: "source.stream", label: "Searches", params: { topics: ["searches"], value_serde: "json" } },
          { id: "with-profile", type: "stream.join_table", label: "Add profile", params: { joiner: "{**left, 'region': right['region']}", kind: "left" } },
          { id: "with-search", type: "stream.join_stream", label: "Add last search", params: { joiner: "{**left, 'query': right['query']}", window: { size_ms: 1000 }, kind: "left" } },
          { id: "out", type: "sink.topic", label: "Enriched views", params: { topic: "enriched-views" } },
        ],
        edges: [
          { id: "e1", source: "views", source_port: "out", target: "with-profile", target_port: "left" },
          { id: "e2", source: "profiles", source_port: "out", target: "with-profile", target_port: "right" },
          { id: "e3", source: "with-profile", source_port: "out", target: "with-search", target_port: "left" },
          { id: "e4", source: "searches", source_port: "out", target: "with-search", target_port: "right" },
          { id: "e5", source: "with-search", source_port: "out", target: "out", target_port: "in" },
        ],
      },
    }],
  },
];
