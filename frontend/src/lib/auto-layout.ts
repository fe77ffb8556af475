// "Tidy up": a layered left-to-right layout of the whole graph by dagre, each node's
// measured size taken into account so that nothing overlaps.
import dagre from "@dagrejs/dagre";

export interface Box {
  id: string;
  width: number;
  height: number;
}

export interface Arc {
  source: string;
  target: string;
}

/** Top-left positions (as React Flow places nodes) for the boxes, sources on the left. */
export function autoLayout(boxes: readonly Box[], arcs: readonly Arc[]): Map<string, { x: number; y: number }> {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 40, ranksep: 90, marginx: 20, marginy: 20 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const box of boxes) graph.setNode(box.id, { width: box.width, height: box.height });
  for (const arc of arcs) {
    if (graph.hasNode(arc.source) && graph.hasNode(arc.target)) graph.setEdge(arc.source, arc.target);
  }
  dagre.layout(graph);
  const positions = new Map<string, { x: number; y: number }>();
  for (const box of boxes) {
    const placed = graph.node(box.id);
    // dagre gives centres
    positions.set(box.id, { x: Math.round(placed.x - box.width / 2), y: Math.round(placed.y - box.height / 2) });
  }
  return positions;
}
