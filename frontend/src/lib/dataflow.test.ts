import { describe, expect, it } from "vitest";
import { edgeRepartition, nodeFlows } from "./dataflow";

const dataflow = {
  repartitions: [
    { node_id: "by-key", port: "in", reason: "'rekey' (Select key) may change the key before this step" },
    { node_id: "by-new", port: null, reason: "grouping by a new key sends every record through an internal topic" },
  ],
  stores: [{ node_id: "count", store: "counts" }],
};

describe("dataflow", () => {
  it("gathers repartitions and stores per node", () => {
    const flows = nodeFlows(dataflow);
    expect(flows.get("by-key")).toEqual({ repartitions: [dataflow.repartitions[0]!.reason], store: null });
    expect(flows.get("count")).toEqual({ repartitions: [], store: "counts" });
    expect(flows.has("source")).toBe(false);
    expect(nodeFlows(null).size).toBe(0);
  });

  it("marks the edge into a repartitioned port, not the edges into a regrouping node", () => {
    expect(edgeRepartition(dataflow, { target: "by-key", targetHandle: "in" })).toMatch(/Select key/);
    expect(edgeRepartition(dataflow, { target: "by-key", targetHandle: "other" })).toBeNull();
    expect(edgeRepartition(dataflow, { target: "by-new", targetHandle: "in" })).toBeNull();
    expect(edgeRepartition(null, { target: "by-key" })).toBeNull();
  });
});
