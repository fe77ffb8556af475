// The topology drawn with React Flow: one canvas for the topology page and the
// deployment dashboard (where nodes show live rates through the deployment store).
import { ReactFlow } from "@xyflow/react";
import { defaultEdgeOptions, edgeTypes } from "../edges";
import type { AppEdge, AppNode } from "../types/flow";
import { nodeTypes } from "../nodes";
import { useCanvasStore } from "../store/canvas-context";
import { CanvasChrome, FIT_VIEW_OPTIONS } from "./canvas-chrome";

export function TopologyCanvas({ label, minimap = true }: { label: string; minimap?: boolean }) {
  const nodes = useCanvasStore((s) => s.nodes);
  const edges = useCanvasStore((s) => s.edges);
  const onNodesChange = useCanvasStore((s) => s.onNodesChange);
  const onEdgesChange = useCanvasStore((s) => s.onEdgesChange);
  const selectNode = useCanvasStore((s) => s.selectNode);

  return (
    <section className="canvas" aria-label={label}>
      <ReactFlow<AppNode, AppEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        defaultEdgeOptions={defaultEdgeOptions}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onPaneClick={() => selectNode(null)}
        // The records on an edge are those its source passes on.
        onEdgeClick={(_, edge) => selectNode(edge.source)}
        nodesConnectable={false}
        deleteKeyCode={null}
        fitView
        fitViewOptions={FIT_VIEW_OPTIONS}
        minZoom={0.2}
        maxZoom={2}
      >
        <CanvasChrome minimap={minimap} />
      </ReactFlow>
    </section>
  );
}
