// One entry of the node catalog served at /api/catalog/ (runtime.spec.node_catalog()).

/** Port kinds follow Kafka Streams' abstractions. Unknown kinds are shown as given. */
export type PortKind = "stream" | "table" | "grouped" | "windowed" | "global_table" | string;

export interface CatalogPort {
  name: string;
  kind: PortKind;
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
