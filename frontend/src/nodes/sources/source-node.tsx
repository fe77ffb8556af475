import type { NodeProps } from "@xyflow/react";
import { memo } from "react";
import type { SourceFlowNode } from "../../types/flow";
import { NodeShell, ParamRows, TopicChips } from "../node-shell";

function SourceNode({ data, selected }: NodeProps<SourceFlowNode>) {
  const rest = data.keyParams.filter((p) => !/topic/.test(p.name));
  return (
    <NodeShell data={data} selected={selected}>
      <TopicChips topics={data.topics} />
      <ParamRows params={rest} />
    </NodeShell>
  );
}

export default memo(SourceNode);
