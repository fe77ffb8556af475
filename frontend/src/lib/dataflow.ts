// What validation's data flow says about each node and edge: where Kafka Streams will
// write through a repartition topic, and which nodes own a state store (and so a
// changelog topic). Pure; the canvas draws it.

export interface Dataflow {
  repartitions: Array<{ node_id: string; port: string | null; reason: string }>;
  stores: Array<{ node_id: string; store: string }>;
}

export interface NodeFlow {
  /** Why records are repartitioned at or into this node; empty when they are not. */
  repartitions: string[];
  store: string | null;
}

export function nodeFlows(dataflow: Dataflow | null): Map<string, NodeFlow> {
  const flows = new Map<string, NodeFlow>();
  const at = (id: string) => {
    let flow = flows.get(id);
    if (!flow) flows.set(id, (flow = { repartitions: [], store: null }));
    return flow;
  };
  for (const r of dataflow?.repartitions ?? []) at(r.node_id).repartitions.push(r.reason);
  for (const s of dataflow?.stores ?? []) at(s.node_id).store = s.store;
  return flows;
}

/**
 * The reason an edge carries records through a repartition topic, or null: an edge
 * into the input port named by a repartition point. A node that regroups (group by)
 * repartitions after its own step, so no edge into it is marked.
 */
export function edgeRepartition(
  dataflow: Dataflow | null,
  edge: { target: string; targetHandle?: string | null },
): string | null {
  const point = dataflow?.repartitions.find((r) => r.node_id === edge.target && r.port !== null && r.port === (edge.targetHandle ?? "in"));
  return point?.reason ?? null;
}
