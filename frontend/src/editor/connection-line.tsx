// The line drawn while a connection is dragged. Over a port that refuses it, the line
// turns red and a tooltip says why, in validation's words.
import { type ConnectionLineComponentProps, getBezierPath, useStore } from "@xyflow/react";
import { createContext, useContext } from "react";
import { checkConnection } from "../lib/port-rules";
import type { PortKindReference } from "../types/catalog";
import type { AppNode } from "../types/flow";

export const PortKindsContext = createContext<PortKindReference | null>(null);

export function EditorConnectionLine({
  fromX,
  fromY,
  toX,
  toY,
  fromPosition,
  toPosition,
  fromNode,
  fromHandle,
  toNode,
  toHandle,
  connectionStatus,
}: ConnectionLineComponentProps<AppNode>) {
  const reference = useContext(PortKindsContext);
  const nodes = useStore((s) => s.nodes) as AppNode[];
  const edges = useStore((s) => s.edges);
  const [path] = getBezierPath({ sourceX: fromX, sourceY: fromY, sourcePosition: fromPosition, targetX: toX, targetY: toY, targetPosition: toPosition });
  let reason: string | null = null;
  if (connectionStatus === "invalid" && toNode && toHandle) {
    const outward = fromHandle.type === "source";
    const verdict = checkConnection(
      nodes,
      edges,
      outward
        ? { source: fromNode.id, sourceHandle: fromHandle.id, target: toNode.id, targetHandle: toHandle.id }
        : { source: toNode.id, sourceHandle: toHandle.id, target: fromNode.id, targetHandle: fromHandle.id },
      reference,
    );
    reason = verdict.ok ? null : verdict.reason;
  }
  return (
    <g className={`connection-line ${reason ? "connection-line--refused" : ""}`}>
      <path d={path} fill="none" strokeWidth={2} className="connection-line__path" />
      {reason && (
        <foreignObject x={toX + 12} y={toY + 12} width={300} height={120} className="connection-line__tip-box">
          <div className="connection-tip" role="tooltip" data-testid="connection-refused-tip">
            {reason}
          </div>
        </foreignObject>
      )}
    </g>
  );
}
