// Which live samples belong to a document node. The engine samples processors; a
// document node is one processor named by its id, or several named `<id>-…` (a
// grouping that repartitions: `-repartition-filter`, `-sink`, `-source`; a split's
// branches). The records a node passes on to the next node are its own processor's,
// else its repartition source's, else those of all its processors (a split's branches).
import type { LiveSample, ProcessingErrorReport } from "../types/metrics";
import { documentNodeFor } from "./metrics";

export function nodeSamples(
  byProcessor: Readonly<Record<string, LiveSample[]>>,
  nodeId: string,
  nodeIds: readonly string[],
  limit = 10,
): LiveSample[] {
  if (byProcessor[nodeId]) return byProcessor[nodeId].slice(0, limit);
  const own = Object.keys(byProcessor).filter((p) => documentNodeFor(p, nodeIds) === nodeId);
  const source = own.filter((p) => p.endsWith("-repartition-source"));
  const chosen = source.length > 0 ? source : own;
  return chosen
    .flatMap((p) => byProcessor[p] ?? [])
    .sort((a, b) => b.timestamp - a.timestamp)
    .slice(0, limit);
}

/** How many of the latest errors each document node had. */
export function errorsByNode(errors: readonly ProcessingErrorReport[], nodeIds: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const error of errors) {
    const id = documentNodeFor(error.node, nodeIds);
    if (id) counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

/**
 * A table update (the engine's Change: new and old value) as "new (was old)"; any other
 * value as is. Aggregations pass such updates on, so their samples are changes.
 */
export function changeText(value: unknown, format: (v: unknown) => string): string {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value).sort().join(",");
    if (keys === "new_value,old_value") {
      const change = value as { new_value: unknown; old_value: unknown };
      return change.old_value === null || change.old_value === undefined
        ? `${format(change.new_value)} (new)`
        : `${format(change.new_value)} (was ${format(change.old_value)})`;
    }
  }
  return format(value);
}
