// Per-family presentation: the palette groups of the editor and the colours and icons
// of nodes on the canvas. Kept apart from index.ts so that components can import it
// without a cycle through the registry.
import type { ComponentType, SVGProps } from "react";
import {
  AggregateIcon,
  JoinIcon,
  ProcessorIcon,
  SinkIcon,
  SourceIcon,
  StatelessIcon,
  WindowIcon,
} from "../components/icons";
import type { NodeFamily } from "../lib/catalog";

export interface NodeFamilyConfig {
  /** Palette group title. */
  title: string;
  /** Short tag printed in a node's header. */
  tag: string;
  icon: ComponentType<SVGProps<SVGSVGElement> & { size?: number }>;
  /** CSS colour token (see styles/tokens.css). */
  color: string;
}

export const nodeConfig: Record<NodeFamily, NodeFamilyConfig> = {
  source: { title: "Sources", tag: "source", icon: SourceIcon, color: "var(--family-source)" },
  stateless: { title: "Stateless", tag: "stateless", icon: StatelessIcon, color: "var(--family-stateless)" },
  aggregate: { title: "Grouping and aggregation", tag: "aggregate", icon: AggregateIcon, color: "var(--family-aggregate)" },
  window: { title: "Windows", tag: "window", icon: WindowIcon, color: "var(--family-window)" },
  join: { title: "Joins", tag: "join", icon: JoinIcon, color: "var(--family-join)" },
  processor: { title: "State and processors", tag: "processor", icon: ProcessorIcon, color: "var(--family-processor)" },
  sink: { title: "Sinks", tag: "sink", icon: SinkIcon, color: "var(--family-sink)" },
};

/** Handle colour per port kind (stream, table, grouped, windowed, global table). */
export function portKindColor(kind: string): string {
  switch (kind) {
    case "table":
      return "var(--port-table)";
    case "grouped_stream":
    case "grouped_table":
      return "var(--port-grouped)";
    case "windowed_stream":
      return "var(--port-windowed)";
    case "global_table":
    case "global-table":
      return "var(--port-global)";
    default:
      return "var(--port-stream)";
  }
}
