// The node registry: one memoised component per family, defined at module scope so
// React Flow never re-mounts nodes (an inline nodeTypes object would).
import type { NodeTypes } from "@xyflow/react";
import type { NodeFamily } from "../lib/catalog";
import AggregateNode from "./aggregation/aggregate-node";
import JoinNode from "./joins/join-node";
import ProcessorNode from "./processors/processor-node";
import SinkNode from "./sinks/sink-node";
import SourceNode from "./sources/source-node";
import StatelessNode from "./stateless/stateless-node";
import WindowNode from "./windows/window-node";

export { nodeConfig, portKindColor } from "./config";
export type { NodeFamilyConfig } from "./config";

export const nodeTypes = {
  source: SourceNode,
  stateless: StatelessNode,
  aggregate: AggregateNode,
  window: WindowNode,
  join: JoinNode,
  processor: ProcessorNode,
  sink: SinkNode,
} satisfies Record<NodeFamily, NodeTypes[string]>;
