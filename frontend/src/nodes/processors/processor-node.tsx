import type { NodeProps } from "@xyflow/react";
import { memo } from "react";
import { StoreIcon } from "../../components/icons";
import type { ProcessorFlowNode } from "../../types/flow";
import { NodeShell, ParamRows } from "../node-shell";

function ProcessorNode({ data, selected }: NodeProps<ProcessorFlowNode>) {
  const rest = data.keyParams.filter((p) => !/store/.test(p.name));
  return (
    <NodeShell data={data} selected={selected}>
      {data.stores.map((store) => (
        <div key={store} className="flow-node__store" title={`state store ${store}`}>
          <StoreIcon size={12} />
          <span>{store}</span>
        </div>
      ))}
      <ParamRows params={rest} />
    </NodeShell>
  );
}

export default memo(ProcessorNode);
