// The canvas graph as React Flow types. lib/graph.ts builds plain objects of the same
// shape without importing React Flow; these aliases give the components their types.
import type { Edge, Node } from "@xyflow/react";
import type { NodeFamily } from "../lib/catalog";
import type {
  AggregateNodeData,
  FlowNodeData,
  JoinNodeData,
  ProcessorNodeData,
  SinkNodeData,
  SourceNodeData,
  StatelessNodeData,
  WindowNodeData,
} from "../lib/graph";

export type AppNode = Node<FlowNodeData, NodeFamily>;
export type SourceFlowNode = Node<SourceNodeData, "source">;
export type SinkFlowNode = Node<SinkNodeData, "sink">;
export type StatelessFlowNode = Node<StatelessNodeData, "stateless">;
export type AggregateFlowNode = Node<AggregateNodeData, "aggregate">;
export type WindowFlowNode = Node<WindowNodeData, "window">;
export type JoinFlowNode = Node<JoinNodeData, "join">;
export type ProcessorFlowNode = Node<ProcessorNodeData, "processor">;

export type AppEdgeData = {
  sourcePortKind: string;
  /** Why records on this edge go through a repartition topic (editor). */
  repartition?: string;
};
export type AppEdge = Edge<AppEdgeData>;
