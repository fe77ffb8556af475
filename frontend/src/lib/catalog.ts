// Reading the node catalog: which visual family a node type belongs to and which ports
// it has. Pure functions; the catalog itself comes from the backend (one source of truth).
import type { CatalogEntry, CatalogPort } from "../types/catalog";
import type { DocumentEdge, DocumentNode } from "../types/document";

/**
 * The families the canvas draws differently. They follow the palette groups of the
 * editor (sources, stateless, grouping and aggregation, windows, joins, state/processor,
 * sinks); a catalog category outside these falls back to "stateless".
 */
export type NodeFamily =
  | "source"
  | "stateless"
  | "aggregate"
  | "window"
  | "join"
  | "processor"
  | "sink";

export const NODE_FAMILIES: readonly NodeFamily[] = [
  "source",
  "stateless",
  "aggregate",
  "window",
  "join",
  "processor",
  "sink",
];

const FAMILY_RULES: Array<[RegExp, NodeFamily]> = [
  [/^source|^input/, "source"],
  [/^sink|^output|^to$/, "sink"],
  [/join/, "join"],
  [/window|suppress/, "window"],
  [/group|aggregat|count|reduce/, "aggregate"],
  [/stateless|transform|map|filter|branch|merge|peek/, "stateless"],
  [/processor|state|custom/, "processor"],
];

/**
 * Classifies a node by its catalog category, falling back to the type's operation
 * ("grouped.windowed_by" → window) and then its prefix ("source.stream" → source) when
 * the category is missing or unknown.
 */
export function nodeFamily(category: string | undefined, type: string): NodeFamily {
  const segments = type.split(".");
  for (const candidate of [category, segments[segments.length - 1], segments[0]]) {
    if (!candidate) continue;
    const text = candidate.toLowerCase();
    for (const [pattern, family] of FAMILY_RULES) {
      if (pattern.test(text)) return family;
    }
  }
  return "stateless";
}

export type CatalogIndex = ReadonlyMap<string, CatalogEntry>;

export function indexCatalog(entries: readonly CatalogEntry[]): CatalogIndex {
  return new Map(entries.map((entry) => [entry.type, entry]));
}

export interface NodePorts {
  inputs: CatalogPort[];
  outputs: CatalogPort[];
}

/**
 * The ports to draw for a node: the catalog's, plus any port an edge uses that the
 * catalog does not list (an old document, or a type the catalog no longer has), so
 * that every edge has a handle to attach to.
 */
export function portsForNode(
  node: DocumentNode,
  entry: CatalogEntry | undefined,
  edges: readonly DocumentEdge[],
): NodePorts {
  const inputs = [...(entry?.inputs ?? [])];
  const outputs = [...(entry?.outputs ?? [])];
  for (const port of paramOutputPorts(node, entry)) {
    if (!outputs.some((p) => p.name === port.name)) outputs.push(port);
  }
  for (const edge of edges) {
    if (edge.target === node.id && !inputs.some((p) => p.name === edge.target_port)) {
      inputs.push({ name: edge.target_port, kind: "stream" });
    }
    if (edge.source === node.id && !outputs.some((p) => p.name === edge.source_port)) {
      outputs.push({ name: edge.source_port, kind: "stream" });
    }
  }
  return { inputs, outputs };
}

interface OutputPortsSpec {
  kind?: string;
  name_from?: string;
}

/**
 * Output ports named by the node's params, as a split's branches: a param whose schema
 * carries `x-output-ports` gives one port per list item (named by the item's
 * `name_from` field) or, for a string param, one port named by its value.
 */
export function paramOutputPorts(
  node: DocumentNode,
  entry: CatalogEntry | undefined,
): CatalogPort[] {
  const ports: CatalogPort[] = [];
  const properties = entry?.params_schema.properties ?? {};
  for (const [param, schema] of Object.entries(properties)) {
    const spec = schema["x-output-ports"] as OutputPortsSpec | undefined;
    if (!spec) continue;
    const kind = spec.kind ?? "stream";
    const value = (node.params ?? {})[param];
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      const name =
        spec.name_from && item && typeof item === "object"
          ? (item as Record<string, unknown>)[spec.name_from]
          : item;
      if (typeof name === "string" && name !== "") ports.push({ name, kind });
    }
  }
  return ports;
}

/** Human label of a port kind: "global_table" → "global table". */
export function portKindLabel(kind: string): string {
  return kind.replace(/[_-]+/g, " ");
}
