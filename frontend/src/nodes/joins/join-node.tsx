import type { NodeProps } from "@xyflow/react";
import { memo } from "react";
import { WindowIcon } from "../../components/icons";
import type { JoinFlowNode } from "../../types/flow";
import { NodeShell, ParamRows } from "../node-shell";

function JoinNode({ data, selected }: NodeProps<JoinFlowNode>) {
  const rest = data.keyParams.filter((p) => p.value !== data.window);
  return (
    <NodeShell data={data} selected={selected}>
      {data.window && (
        <div className="flow-node__window" title="join window">
          <WindowIcon size={12} />
          <span>within {data.window}</span>
        </div>
      )}
      <ParamRows params={rest} />
    </NodeShell>
  );
}

export default memo(JoinNode);
