import type { NodeProps } from "@xyflow/react";
import { memo } from "react";
import { StoreIcon } from "../../components/icons";
import type { AggregateFlowNode } from "../../types/flow";
import { NodeShell, ParamRows } from "../node-shell";

function AggregateNode({ data, selected }: NodeProps<AggregateFlowNode>) {
  const rest = data.keyParams.filter((p) => !/store/.test(p.name));
  return (
    <NodeShell data={data} selected={selected}>
      {data.store && (
        <div className="flow-node__store" title={`state store ${data.store}, backed by a changelog topic`}>
          <StoreIcon size={12} />
          <span>{data.store}</span>
        </div>
      )}
      <ParamRows params={rest} />
    </NodeShell>
  );
}

export default memo(AggregateNode);
