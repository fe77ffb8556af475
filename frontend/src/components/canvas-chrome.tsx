// What every canvas draws around the graph: the dotted background, the zoom controls
// and, where there is room, the minimap.
import { Background, BackgroundVariant, Controls, MiniMap } from "@xyflow/react";
import { defaultEdgeOptions, edgeTypes } from "../edges";
import { nodeTypes } from "../nodes";
import { nodeConfig } from "../nodes/config";
import type { AppNode } from "../types/flow";

const minimapColor = (node: AppNode) => nodeConfig[node.data.family].color;

/** Fit options shared by the canvases: a margin, and no zooming in past 110 %. */
export const FIT_VIEW_OPTIONS = { padding: 0.2, maxZoom: 1.1 };

/** What every <ReactFlow> of the studio is given: the registries, edges' look, zoom range. */
export const CANVAS_PROPS = {
  nodeTypes,
  edgeTypes,
  defaultEdgeOptions,
  fitViewOptions: FIT_VIEW_OPTIONS,
  minZoom: 0.2,
  maxZoom: 2,
} as const;

export function CanvasChrome({ minimap = true }: { minimap?: boolean }) {
  return (
    <>
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
    </>
  );
}
