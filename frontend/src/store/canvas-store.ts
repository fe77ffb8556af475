// Canvas state for one topology graph: nodes, edges and the selection.
// Created per page by a factory and handed down through context (see canvas-context.tsx).
import { type EdgeChange, type NodeChange, applyEdgeChanges, applyNodeChanges } from "@xyflow/react";
import { createStore } from "zustand/vanilla";
import type { FlowGraph } from "../lib/graph";
import type { AppEdge, AppNode } from "../types/flow";

export interface CanvasState {
  nodes: AppNode[];
  edges: AppEdge[];
  selectedNodeId: string | null;
}

export interface CanvasActions {
  onNodesChange: (changes: NodeChange<AppNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<AppEdge>[]) => void;
  selectNode: (id: string | null) => void;
  replaceGraph: (graph: FlowGraph) => void;
}

export type CanvasStore = CanvasState & CanvasActions;

export function createCanvasStore(initial: FlowGraph) {
  return createStore<CanvasStore>()((set) => ({
    nodes: initial.nodes,
    edges: initial.edges,
    selectedNodeId: null,
    onNodesChange: (changes) =>
      set((s) => {
        const nodes = applyNodeChanges(changes, s.nodes);
        if (!changes.some((c) => c.type === "select")) return { nodes };
        return { nodes, selectedNodeId: nodes.find((n) => n.selected)?.id ?? null };
      }),
    onEdgesChange: (changes) => set((s) => ({ edges: applyEdgeChanges(changes, s.edges) })),
    selectNode: (id) =>
      set((s) => ({
        selectedNodeId: id,
        nodes: s.nodes.map((n) => (n.selected === (n.id === id) ? n : { ...n, selected: n.id === id })),
      })),
    replaceGraph: (graph) =>
      set((s) => ({
        nodes: graph.nodes,
        edges: graph.edges,
        selectedNodeId: graph.nodes.some((n) => n.id === s.selectedNodeId) ? s.selectedNodeId : null,
      })),
  }));
}

export type CanvasStoreApi = ReturnType<typeof createCanvasStore>;
