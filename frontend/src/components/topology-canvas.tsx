// The topology drawn with React Flow: one canvas for the topology page and the
// deployment dashboard (where nodes show live rates through the deployment store).
import { ReactFlow } from "@xyflow/react";
import type { AppEdge, AppNode } from "../types/flow";
import { useCanvasStore } from "../store/canvas-context";
import { CANVAS_PROPS, CanvasChrome } from "./canvas-chrome";

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
        {...CANVAS_PROPS}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onPaneClick={() => selectNode(null)}
        // The records on an edge are those its source passes on.
        onEdgeClick={(_, edge) => selectNode(edge.source)}
        nodesConnectable={false}
        deleteKeyCode={null}
        fitView
      >
        <CanvasChrome minimap={minimap} />
      </ReactFlow>
    </section>
  );
}
