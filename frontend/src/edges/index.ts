import { type DefaultEdgeOptions, type EdgeTypes, MarkerType } from "@xyflow/react";
import FlowEdge from "./flow-edge";

export const edgeTypes = { flow: FlowEdge } satisfies EdgeTypes;

export const defaultEdgeOptions: DefaultEdgeOptions = {
  type: "flow",
  markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16, color: "#8a94a6" },
};
