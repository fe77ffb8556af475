// Pure steps of editing a topology document: new nodes with fresh ids and their
// params' defaults, copy and paste with ids remapped, what the palette offers.
import type { CatalogEntry, JsonSchema } from "../types/catalog";
import type { DocumentEdge, DocumentNode, DocumentPosition } from "../types/document";
import { NODE_FAMILIES, type NodeFamily, nodeFamily } from "./catalog";

/** The document schema's node id pattern (runtime.spec). */
export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** A readable id not yet taken: "count", then "count-2", "count-3"… */
export function uniqueId(base: string, taken: ReadonlySet<string>): string {
  const stem =
    base
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[^a-z0-9]+/, "")
      .slice(0, 90) || "node";
  if (!taken.has(stem)) return stem;
  for (let i = 2; ; i++) {
    const id = `${stem}-${i}`;
    if (!taken.has(id)) return id;
  }
}

/** The id stem of a node type: "grouped.windowed_by" → "windowed-by". */
export function idStem(type: string): string {
  const last = type.split(".").pop() ?? type;
  return last.replace(/_/g, "-");
}

/** The params a new node starts with: each top-level property's schema default. */
export function defaultParams(schema: JsonSchema | undefined): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema?.properties ?? {})) {
    if (property.default !== undefined) params[name] = structuredClone(property.default);
  }
  return params;
}

export function newNode(entry: CatalogEntry, position: DocumentPosition, taken: ReadonlySet<string>): DocumentNode {
  return {
    id: uniqueId(idStem(entry.type), taken),
    type: entry.type,
    label: entry.title,
    params: defaultParams(entry.params_schema),
    position: { x: Math.round(position.x), y: Math.round(position.y) },
  };
}

export function uniqueEdgeId(taken: ReadonlySet<string>): string {
  for (let i = taken.size + 1; ; i++) {
    const id = `e${i}`;
    if (!taken.has(id)) return id;
  }
}

export interface Fragment {
  nodes: DocumentNode[];
  edges: DocumentEdge[];
}

/** The chosen nodes and the edges between them (an edge leaving the selection is left out). */
export function copyFragment(nodes: readonly DocumentNode[], edges: readonly DocumentEdge[], ids: ReadonlySet<string>): Fragment {
  return {
    nodes: nodes.filter((n) => ids.has(n.id)).map((n) => structuredClone(n)),
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => ({ ...e })),
  };
}

/**
 * The fragment ready to add: every node and edge given an id not taken (a copy of
 * "count" becomes "count-2"), edges rewired to the new ids, positions shifted so the
 * copy does not hide the original.
 */
export function pasteFragment(
  fragment: Fragment,
  takenNodeIds: ReadonlySet<string>,
  takenEdgeIds: ReadonlySet<string>,
  offset: DocumentPosition = { x: 40, y: 40 },
): Fragment {
  const nodeIds = new Set(takenNodeIds);
  const renamed = new Map<string, string>();
  const nodes = fragment.nodes.map((node) => {
    const id = uniqueId(node.id.replace(/-\d+$/, ""), nodeIds);
    nodeIds.add(id);
    renamed.set(node.id, id);
    const p = node.position ?? { x: 0, y: 0 };
    return { ...structuredClone(node), id, position: { x: p.x + offset.x, y: p.y + offset.y } };
  });
  const edgeIds = new Set(takenEdgeIds);
  const edges = fragment.edges.map((edge) => {
    const id = uniqueEdgeId(edgeIds);
    edgeIds.add(id);
    return { ...edge, id, source: renamed.get(edge.source)!, target: renamed.get(edge.target)! };
  });
  return { nodes, edges };
}

export interface PaletteGroup {
  family: NodeFamily;
  entries: CatalogEntry[];
}

/** Catalog entries by palette group, in the palette's order, filtered by a search text. */
export function paletteGroups(entries: readonly CatalogEntry[], query: string): PaletteGroup[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = (entry: CatalogEntry) => {
    const text = `${entry.title} ${entry.type} ${entry.category} ${entry.description}`.toLowerCase();
    return words.every((w) => text.includes(w));
  };
  const groups = new Map<NodeFamily, CatalogEntry[]>(NODE_FAMILIES.map((f) => [f, []]));
  for (const entry of entries) {
    if (matches(entry)) groups.get(nodeFamily(entry.category, entry.type))!.push(entry);
  }
  return NODE_FAMILIES.map((family) => ({ family, entries: groups.get(family)! })).filter((g) => g.entries.length > 0);
}

export interface Suggestion {
  entry: CatalogEntry;
  /** The new node's port to connect to the dragged one. */
  port: string;
}

/**
 * Node types that can be attached to a port of `kind` dragged out into empty space:
 * from an output, the types with an input of that kind; from an input, the types with
 * an output of that kind.
 */
export function compatibleEntries(
  entries: readonly CatalogEntry[],
  kind: string,
  from: "output" | "input",
): Suggestion[] {
  const suggestions: Suggestion[] = [];
  for (const entry of entries) {
    const ports = from === "output" ? entry.inputs : entry.outputs;
    const port = ports.find((p) => p.kind === kind);
    if (port) suggestions.push({ entry, port: port.name });
  }
  return suggestions;
}
