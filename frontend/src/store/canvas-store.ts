// Canvas state for one topology graph: nodes, edges, the selection and, in the editor,
// the edits with their undo history. Created per page by a factory and handed down
// through context (see canvas-context.tsx).
import { type EdgeChange, type NodeChange, applyEdgeChanges, applyNodeChanges } from "@xyflow/react";
import { createStore } from "zustand/vanilla";
import type { CatalogIndex } from "../lib/catalog";
import { type Dataflow, edgeRepartition } from "../lib/dataflow";
import {
  type FlowGraph,
  toDocumentEdge,
  toDocumentNode,
  toFlowEdge,
  toFlowNode,
  withProblems,
} from "../lib/graph";
import type { DiffMark } from "../lib/version-diff";
import { type History, emptyHistory, record, redo, undo } from "../lib/history";
import type { NodeCount } from "../lib/test-bench";
import type { DocumentEdge, DocumentNode, Problem } from "../types/document";
import type { AppEdge, AppNode } from "../types/flow";

type Snapshot = { nodes: AppNode[]; edges: AppEdge[] };

export interface CanvasState {
  nodes: AppNode[];
  edges: AppEdge[];
  selectedNodeId: string | null;
  problems: Problem[];
  history: History<Snapshot>;
  /** The graph when a drag began: the whole drag is one undo step. */
  dragStart: Snapshot | null;
  /** Repartition points and stores of the draft, from the latest validation. */
  dataflow: Dataflow | null;
  /** Records each node passed on in the latest test-bench run. */
  trial: Record<string, NodeCount> | null;
  /** Nodes marked by a version comparison. */
  highlight: Record<string, DiffMark> | null;
}

export interface CanvasActions {
  onNodesChange: (changes: NodeChange<AppNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<AppEdge>[]) => void;
  selectNode: (id: string | null) => void;
  replaceGraph: (graph: FlowGraph) => void;
  /** Replaces the whole graph as one undoable edit (an imported document). */
  loadGraph: (graph: FlowGraph) => void;
  /** Adds nodes (and edges between them or to existing nodes); selects the new nodes. */
  addNodes: (nodes: DocumentNode[], edges?: DocumentEdge[]) => void;
  addEdge: (edge: DocumentEdge) => void;
  /** Removes the selected nodes and edges, and every edge of a removed node. */
  removeSelected: () => void;
  updateNode: (id: string, patch: { label?: string; params?: Record<string, unknown> }) => void;
  /** Moves nodes (auto-layout) as one undo step. */
  moveNodes: (positions: ReadonlyMap<string, { x: number; y: number }>) => void;
  setProblems: (problems: Problem[]) => void;
  setDataflow: (dataflow: Dataflow | null) => void;
  setTrial: (trial: Record<string, NodeCount> | null) => void;
  setHighlight: (highlight: Record<string, DiffMark> | null) => void;
  selectAll: () => void;
  undo: () => void;
  redo: () => void;
}

export type CanvasStore = CanvasState & CanvasActions;

export function createCanvasStore(initial: FlowGraph, catalog: CatalogIndex = new Map()) {
  return createStore<CanvasStore>()((set, get) => {
    /** Rebuilds nodes whose ports or params depend on the document (ports of a split). */
    const rebuild = (nodes: AppNode[], edges: AppEdge[], ids: ReadonlySet<string>): AppNode[] => {
      const docEdges = edges.map((e) => toDocumentEdge(e));
      const { problems } = get();
      return nodes.map((node) => {
        if (!ids.has(node.id)) return node;
        const doc = toDocumentNode(node);
        const fresh = toFlowNode(doc, catalog.get(doc.type), docEdges, problems, node.position);
        return { ...node, type: fresh.type, data: fresh.data };
      });
    };
    /** Applies an edit and records the state before it for undo. */
    const edit = (next: Partial<Snapshot> & Partial<CanvasState>, tag: string | null = null) =>
      set((s) => ({
        ...next,
        history: record(s.history, { nodes: s.nodes, edges: s.edges }, tag),
      }));

    return {
      nodes: initial.nodes,
      edges: initial.edges,
      selectedNodeId: null,
      problems: [],
      history: emptyHistory<Snapshot>(),
      dragStart: null,
      dataflow: null,
      trial: null,
      highlight: null,

      onNodesChange: (changes) => {
        const s = get();
        const dragging = changes.some((c) => c.type === "position" && c.dragging);
        const dropped = changes.some((c) => c.type === "position" && c.dragging === false);
        const nodes = applyNodeChanges(changes, s.nodes);
        const patch: Partial<CanvasState> = { nodes };
        if (dragging && !s.dragStart) patch.dragStart = { nodes: s.nodes, edges: s.edges };
        if (dropped && s.dragStart) {
          patch.history = record(s.history, s.dragStart);
          patch.dragStart = null;
        }
        if (changes.some((c) => c.type === "select")) {
          const chosen = nodes.filter((n) => n.selected);
          patch.selectedNodeId = chosen.length === 1 ? chosen[0]!.id : null;
        }
        set(patch);
      },
      onEdgesChange: (changes) => set((s) => ({ edges: applyEdgeChanges(changes, s.edges) })),
      selectNode: (id) =>
        set((s) => ({
          selectedNodeId: id,
          nodes: s.nodes.map((n) => (Boolean(n.selected) === (n.id === id) ? n : { ...n, selected: n.id === id })),
          edges: s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
        })),
      replaceGraph: (graph) =>
        set((s) => ({
          nodes: graph.nodes,
          edges: graph.edges,
          selectedNodeId: graph.nodes.some((n) => n.id === s.selectedNodeId) ? s.selectedNodeId : null,
        })),

      loadGraph: (graph) => edit({ nodes: withProblems(graph.nodes, []), edges: graph.edges, selectedNodeId: null }),
      addNodes: (docNodes, docEdges = []) => {
        const s = get();
        const docAll = [...s.edges.map((e) => toDocumentEdge(e)), ...docEdges];
        const added: AppNode[] = docNodes.map((n) => ({
          ...toFlowNode(n, catalog.get(n.type), docAll, s.problems, n.position),
          selected: true,
        }));
        const nodes = [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...added];
        const edges = [
          ...s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
          ...docEdges.map((e): AppEdge => toFlowEdge(e, nodes)),
        ];
        edit({ nodes, edges, selectedNodeId: added.length === 1 ? added[0]!.id : null });
      },
      addEdge: (edge) => {
        const s = get();
        const edges = [...s.edges, toFlowEdge(edge, s.nodes)];
        edit({ edges, nodes: rebuild(s.nodes, edges, new Set([edge.source, edge.target])) });
      },
      removeSelected: () => {
        const s = get();
        const gone = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id));
        const edges = s.edges.filter((e) => !e.selected && !gone.has(e.source) && !gone.has(e.target));
        if (gone.size === 0 && edges.length === s.edges.length) return;
        const touched = new Set(s.edges.filter((e) => !edges.includes(e)).flatMap((e) => [e.source, e.target]));
        const nodes = rebuild(
          s.nodes.filter((n) => !gone.has(n.id)),
          edges,
          touched,
        );
        edit({ nodes, edges, selectedNodeId: null });
      },
      updateNode: (id, patch) => {
        const s = get();
        const nodes = s.nodes.map((n) =>
          n.id === id
            ? { ...n, data: { ...n.data, label: patch.label ?? n.data.label, params: patch.params ?? n.data.params } }
            : n,
        );
        const field = patch.params ? "params" : "label";
        edit({ nodes: rebuild(nodes, s.edges, new Set([id])) }, `${id}.${field}`);
      },
      moveNodes: (positions) => {
        const s = get();
        edit({
          nodes: s.nodes.map((n) => {
            const p = positions.get(n.id);
            return p ? { ...n, position: p } : n;
          }),
        });
      },
      setProblems: (problems) => set((s) => ({ problems, nodes: withProblems(s.nodes, problems) })),
      setDataflow: (dataflow) =>
        set((s) => ({
          dataflow,
          edges: s.edges.map((e) => {
            const repartition = edgeRepartition(dataflow, e) ?? undefined;
            return e.data?.repartition === repartition
              ? e
              : { ...e, data: { sourcePortKind: e.data?.sourcePortKind ?? "stream", repartition } };
          }),
        })),
      setTrial: (trial) => set({ trial }),
      setHighlight: (highlight) => set({ highlight }),
      selectAll: () =>
        set((s) => ({
          nodes: s.nodes.map((n) => (n.selected ? n : { ...n, selected: true })),
          edges: s.edges.map((e) => (e.selected ? e : { ...e, selected: true })),
          selectedNodeId: s.nodes.length === 1 ? s.nodes[0]!.id : null,
        })),
      undo: () => {
        const s = get();
        const step = undo(s.history, { nodes: s.nodes, edges: s.edges });
        if (step) set({ ...step.present, history: step.history, nodes: withProblems(step.present.nodes, s.problems) });
      },
      redo: () => {
        const s = get();
        const step = redo(s.history, { nodes: s.nodes, edges: s.edges });
        if (step) set({ ...step.present, history: step.history, nodes: withProblems(step.present.nodes, s.problems) });
      },
    };
  });
}

export type CanvasStoreApi = ReturnType<typeof createCanvasStore>;
