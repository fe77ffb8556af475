// The topology drawn with React Flow: one canvas for the topology page and the
// deployment dashboard (where nodes show live rates through the deployment store).
import { Background, BackgroundVariant, Controls, MiniMap, ReactFlow } from "@xyflow/react";
import { defaultEdgeOptions, edgeTypes } from "../edges";
import type { AppEdge, AppNode } from "../types/flow";
import { nodeConfig, nodeTypes } from "../nodes";
import { useCanvasStore } from "../store/canvas-context";

const minimapColor = (node: AppNode) => nodeConfig[node.data.family].color;

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
        fitViewOptions={{ padding: 0.18, maxZoom: 1.1 }}
        minZoom={0.2}
        maxZoom={2}
      >
        <Background variant={BackgroundVariant.Dots} gap={18} size={1.2} color="#cfd5df" />
        {minimap && (
          <MiniMap<AppNode>
            pannable
            zoomable
            nodeColor={minimapColor}
            nodeStrokeWidth={0}
            maskColor="rgba(236, 239, 244, 0.7)"
            ariaLabel="Minimap of the topology"
          />
        )}
        <Controls showInteractive={false} aria-label="Canvas zoom controls" />
      </ReactFlow>
    </section>
  );
}
