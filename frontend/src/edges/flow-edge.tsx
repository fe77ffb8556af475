import { BaseEdge, EdgeLabelRenderer, type EdgeProps, getBezierPath, getSmoothStepPath } from "@xyflow/react";
import { memo } from "react";
import { useNodeRate } from "../hooks/use-node-rate";
import { formatRateWithUnit } from "../lib/format";
import { useCanvasStore } from "../store/canvas-context";
import type { AppEdge } from "../types/flow";
import { portKindColor } from "../nodes/config";

/**
 * An edge coloured by the kind of what flows on it (stream, table, grouped …). On a
 * dashboard it animates while its target node is processing records.
 */
function FlowEdge({
  id,
  target,
  sourceX,
  sourceY,
  targetX,
  targetY,
  sourcePosition,
  targetPosition,
  markerEnd,
  data,
  selected,
}: EdgeProps<AppEdge>) {
  // An edge running backwards (a long pipeline wrapped onto a new band) is routed
  // around the nodes in right angles; a bezier would cut across the band above.
  const backwards = targetX < sourceX - 10;
  const [path, labelX, labelY] = backwards
    ? getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, borderRadius: 12, offset: 18 })
    : getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const rate = useNodeRate(target);
  const active = rate !== null && rate > 0;
  // A node's rate is what reaches it: the edge's own rate when it is the only way in.
  const only = useCanvasStore((s) => s.edges.reduce((n, e) => n + (e.target === target ? 1 : 0), 0) === 1);
  const repartition = data?.repartition;
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        markerEnd={markerEnd}
        className={`flow-edge${active ? " flow-edge--active" : ""}${selected ? " flow-edge--selected" : ""}${repartition ? " flow-edge--repartition" : ""}`}
        style={{ stroke: portKindColor(data?.sourcePortKind ?? "stream") }}
      />
      {rate !== null && only && (
        <EdgeLabelRenderer>
          <span
            className={`edge-badge edge-badge--rate nodrag nopan${active ? " is-active" : ""}`}
            style={{ transform: `translate(-50%, -120%) translate(${labelX}px, ${labelY}px)` }}
            data-testid="edge-rate"
            data-rate={rate}
          >
            {formatRateWithUnit(rate)}
          </span>
        </EdgeLabelRenderer>
      )}
      {repartition && (
        <EdgeLabelRenderer>
          <span
            className="edge-badge edge-badge--repartition nodrag nopan"
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            title={`Repartition topic: ${repartition}`}
            data-testid="repartition-edge"
          >
            ⇄ repartition
          </span>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export default memo(FlowEdge);
