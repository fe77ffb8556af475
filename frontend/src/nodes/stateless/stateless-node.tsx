import type { NodeProps } from "@xyflow/react";
import { memo } from "react";
import type { StatelessFlowNode } from "../../types/flow";
import { NodeShell, ParamRows } from "../node-shell";

function StatelessNode({ data, selected }: NodeProps<StatelessFlowNode>) {
  return (
    <NodeShell data={data} selected={selected}>
      <ParamRows params={data.keyParams} />
    </NodeShell>
  );
}

export default memo(StatelessNode);
