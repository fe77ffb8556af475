import { useReactFlow } from "@xyflow/react";
import { useCallback } from "react";
import { useCanvasStore } from "../store/canvas-context";

/** Selects a node and pans the canvas to it (from the problems list, for example). */
export function useFocusNode(): (nodeId: string) => void {
  const { fitView } = useReactFlow();
  const selectNode = useCanvasStore((s) => s.selectNode);
  return useCallback(
    (nodeId: string) => {
      selectNode(nodeId);
      void fitView({ nodes: [{ id: nodeId }], duration: 400, maxZoom: 1.25, padding: 0.6 });
    },
    [fitView, selectNode],
  );
}
