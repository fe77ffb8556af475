// One entry of the node catalog served at /api/catalog/ (runtime.spec.node_catalog()).

/** Port kinds follow Kafka Streams' abstractions. Unknown kinds are shown as given. */
export type PortKind =
  | "stream"
  | "table"
  | "grouped_stream"
  | "grouped_table"
  | "windowed_stream"
  | "global_table"
  | string;

export interface CatalogPort {
  name: string;
  kind: PortKind;
  label?: string;
  /** The port takes several connections (a merge, a cogroup); otherwise exactly one. */
  multiple?: boolean;
}

/** GET /api/port-kinds/: the names of port kinds and validation's hints for mismatches. */
export interface PortKindReference {
  kinds: Record<string, string>;
  hints: Array<{ expected: string; given: string; hint: string }>;
}

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  format?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  [extension: string]: unknown;
}

export interface CatalogEntry {
  type: string;
  category: string;
  title: string;
  description: string;
  inputs: CatalogPort[];
  outputs: CatalogPort[];
  params_schema: JsonSchema;
}
