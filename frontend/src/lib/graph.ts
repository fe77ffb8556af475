// Topology document ⇄ canvas graph. Pure: the shapes below are structurally what
// @xyflow/react's Node and Edge expect, without importing React.
import type { CatalogEntry, CatalogPort } from "../types/catalog";
import type {
  DocumentEdge,
  DocumentNode,
  DocumentPosition,
  Problem,
  TopologyDocument,
} from "../types/document";
import { type CatalogIndex, type NodeFamily, nodeFamily, portsForNode } from "./catalog";
import { type KeyParam, describeParamValue, keyParams } from "./key-params";
import { layeredLayout, needsLayout, tooWide } from "./layout";

type NodeDataBase = {
  /** The document node id; also the engine's processor name (passed as `name=`). */
  nodeId: string;
  /** The catalog type, e.g. "source.stream". */
  type: string;
  label: string;
  /** Catalog title of the type, e.g. "Stream source"; the type itself if unknown. */
  title: string;
  category: string;
  description: string;
  params: Record<string, unknown>;
  inputs: CatalogPort[];
  outputs: CatalogPort[];
  keyParams: KeyParam[];
  errors: number;
  warnings: number;
  /** False when the catalog does not know the type. */
  known: boolean;
};

export type SourceNodeData = NodeDataBase & { family: "source"; topics: string[] };
export type SinkNodeData = NodeDataBase & { family: "sink"; topic: string | null };
export type StatelessNodeData = NodeDataBase & { family: "stateless" };
export type AggregateNodeData = NodeDataBase & { family: "aggregate"; store: string | null };
export type WindowNodeData = NodeDataBase & { family: "window"; window: string | null };
export type JoinNodeData = NodeDataBase & { family: "join"; window: string | null };
export type ProcessorNodeData = NodeDataBase & { family: "processor"; stores: string[] };

/** Node data is a union discriminated by family, not one bag of optional fields. */
export type FlowNodeData =
  | SourceNodeData
  | SinkNodeData
  | StatelessNodeData
  | AggregateNodeData
  | WindowNodeData
  | JoinNodeData
  | ProcessorNodeData;

export interface FlowNode<D extends FlowNodeData = FlowNodeData> {
  id: string;
  type: NodeFamily;
  position: DocumentPosition;
  data: D;
  selected?: boolean;
}

export interface FlowEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
  type?: string;
  /** Extra classes on the drawn edge (a version comparison's marks). */
  className?: string;
  data?: { sourcePortKind: string };
}

export interface FlowGraph {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/**
 * Turns a saved document into canvas nodes and edges. Nodes without usable positions
 * (all at one spot, as generated documents often are) are laid out left to right.
 */
export function documentToFlow(
  doc: TopologyDocument,
  catalog: CatalogIndex,
  problems: readonly Problem[] = [],
): FlowGraph {
  const positions = needsLayout(doc.nodes)
    ? layeredLayout(doc.nodes.map((n) => n.id), doc.edges)
    : new Map(doc.nodes.map((n) => [n.id, n.position ?? { x: 0, y: 0 }]));

  const nodes = doc.nodes.map((node) =>
    toFlowNode(node, catalog.get(node.type), doc.edges, problems, positions.get(node.id)),
  );
  const portKinds = new Map<string, string>();
  for (const node of nodes) {
    for (const port of node.data.outputs) portKinds.set(`${node.id}\u0000${port.name}`, port.kind);
  }
  const edges = doc.edges.map(
    (edge): FlowEdge => ({
      id: edge.id,
      source: edge.source,
      sourceHandle: edge.source_port,
      target: edge.target,
      targetHandle: edge.target_port,
      data: { sourcePortKind: portKinds.get(`${edge.source}\u0000${edge.source_port}`) ?? "stream" },
    }),
  );
  return { nodes, edges };
}

/** A document drawn read-only (dashboard, comparisons): a long row of steps is laid out
 * again in bands, so that it stays readable when fitted to the view. */
export function documentToReadOnlyFlow(doc: TopologyDocument, catalog: CatalogIndex): FlowGraph {
  return documentToFlow(tooWide(doc.nodes) ? { ...doc, nodes: doc.nodes.map(({ position: _, ...n }) => n) } : doc, catalog);
}

/** One document node as a canvas node (its ports depend on the edges and params). */
export function toFlowNode(
  node: DocumentNode,
  entry: CatalogEntry | undefined,
  edges: readonly DocumentEdge[],
  problems: readonly Problem[],
  position: DocumentPosition | undefined,
): FlowNode {
  const family = nodeFamily(entry?.category, node.type);
  const params = node.params ?? {};
  const { inputs, outputs } = portsForNode(node, entry, edges);
  const own = problems.filter((p) => p.node_id === node.id);
  const base: NodeDataBase = {
    nodeId: node.id,
    type: node.type,
    label: node.label?.trim() || node.id,
    title: entry?.title ?? node.type,
    category: entry?.category ?? node.type.split(".")[0] ?? node.type,
    description: entry?.description ?? "",
    params,
    inputs,
    outputs,
    keyParams: keyParams(params, entry?.params_schema),
    errors: own.filter((p) => p.severity === "error").length,
    warnings: own.filter((p) => p.severity !== "error").length,
    known: entry !== undefined,
  };
  const data = withFamilyFields(family, base, params);
  return { id: node.id, type: family, position: position ?? { x: 0, y: 0 }, data };
}

function withFamilyFields(
  family: NodeFamily,
  base: NodeDataBase,
  params: Record<string, unknown>,
): FlowNodeData {
  switch (family) {
    case "source":
      return { ...base, family, topics: stringList(params.topics ?? params.topic) };
    case "sink":
      return { ...base, family, topic: firstString(params.topic ?? params.topics) };
    case "aggregate":
      return { ...base, family, store: firstString(params.store ?? params.store_name) };
    case "window":
    case "join":
      return { ...base, family, window: windowText(params) };
    case "processor":
      return { ...base, family, stores: stringList(params.stores ?? params.store) };
    case "stateless":
      return { ...base, family };
  }
}

/** The document form of one canvas node. */
type NodeLike = { id: string; position: DocumentPosition; data: Pick<FlowNodeData, "type" | "label" | "params"> };
type EdgeLike = { id: string; source: string; target: string; sourceHandle?: string | null; targetHandle?: string | null };

export function toDocumentNode(node: NodeLike): DocumentNode {
  return {
    id: node.id,
    type: node.data.type,
    label: node.data.label,
    params: node.data.params,
    position: { x: Math.round(node.position.x), y: Math.round(node.position.y) },
  };
}

export function toDocumentEdge(edge: EdgeLike): DocumentEdge {
  return {
    id: edge.id,
    source: edge.source,
    source_port: edge.sourceHandle ?? "out",
    target: edge.target,
    target_port: edge.targetHandle ?? "in",
  };
}

/** A canvas edge, carrying its source port's kind (the edge is drawn in its colour). */
export function toFlowEdge(
  edge: DocumentEdge,
  nodes: ReadonlyArray<{ id: string; data: { outputs: CatalogPort[] } }>,
): FlowEdge {
  const source = nodes.find((n) => n.id === edge.source);
  const kind = source?.data.outputs.find((p) => p.name === edge.source_port)?.kind ?? "stream";
  return {
    id: edge.id,
    source: edge.source,
    sourceHandle: edge.source_port,
    target: edge.target,
    targetHandle: edge.target_port,
    data: { sourcePortKind: kind },
  };
}

/** Problem counts on each node, after a validation; nodes without a change keep their identity. */
export function withProblems<N extends { id: string; data: { errors: number; warnings: number } }>(
  nodes: readonly N[],
  problems: readonly Problem[],
): N[] {
  return nodes.map((node) => {
    const own = problems.filter((p) => p.node_id === node.id);
    const errors = own.filter((p) => p.severity === "error").length;
    const warnings = own.length - errors;
    if (node.data.errors === errors && node.data.warnings === warnings) return node;
    return { ...node, data: { ...node.data, errors, warnings } };
  });
}

/**
 * Writes the canvas back into a document: ids, types, labels and params from node data,
 * positions from the canvas (rounded), ports from the edge handles. Everything else
 * (name, settings, format version) is kept from `base`.
 */
export function flowToDocument(
  base: TopologyDocument,
  graph: { nodes: readonly NodeLike[]; edges: readonly EdgeLike[] },
): TopologyDocument {
  return {
    ...base,
    nodes: graph.nodes.map(toDocumentNode),
    edges: graph.edges.map(toDocumentEdge),
  };
}

function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return typeof value === "string" && value ? [value] : [];
}

function firstString(value: unknown): string | null {
  return stringList(value)[0] ?? null;
}

function windowText(params: Record<string, unknown>): string | null {
  for (const [name, value] of Object.entries(params)) {
    if (/window|size|difference|gap/.test(name)) {
      const text = describeParamValue(name, value);
      if (text) return text;
    }
  }
  return null;
}
