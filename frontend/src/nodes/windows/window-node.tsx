import type { NodeProps } from "@xyflow/react";
import { memo } from "react";
import { WindowIcon } from "../../components/icons";
import type { WindowFlowNode } from "../../types/flow";
import { NodeShell, ParamRows } from "../node-shell";

function WindowNode({ data, selected }: NodeProps<WindowFlowNode>) {
  const rest = data.keyParams.filter((p) => p.value !== data.window);
  return (
    <NodeShell data={data} selected={selected}>
      {data.window && (
        <div className="flow-node__window" title="window">
          <WindowIcon size={12} />
          <span>{data.window}</span>
        </div>
      )}
      <ParamRows params={rest} />
    </NodeShell>
  );
}

export default memo(WindowNode);
