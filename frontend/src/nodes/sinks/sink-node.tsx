import type { NodeProps } from "@xyflow/react";
import { memo } from "react";
import type { SinkFlowNode } from "../../types/flow";
import { NodeShell, ParamRows, TopicChips } from "../node-shell";

function SinkNode({ data, selected }: NodeProps<SinkFlowNode>) {
  const rest = data.keyParams.filter((p) => !/topic/.test(p.name));
  return (
    <NodeShell data={data} selected={selected}>
      <TopicChips topics={data.topic ? [data.topic] : []} />
      <ParamRows params={rest} />
    </NodeShell>
  );
}

export default memo(SinkNode);
