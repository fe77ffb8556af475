import { useStore } from "zustand";
import { createStore } from "zustand/vanilla";
import { useOptionalDeploymentStoreApi } from "../store/deployment-context";
import type { DeploymentStore } from "../store/deployment-store";

// Stand-in store for canvases that are not monitoring a deployment, so the hook below
// can call useStore unconditionally.
const idle = createStore<Pick<DeploymentStore, "nodeRates" | "merged">>()(() => ({
  nodeRates: {},
  merged: { updatedAt: null } as DeploymentStore["merged"],
}));

/**
 * The live process rate of a document node, or null outside a dashboard or before the
 * first report. Selects a number, so a node re-renders only when its own rate changes.
 */
export function useNodeRate(nodeId: string): number | null {
  const store = useOptionalDeploymentStoreApi() ?? idle;
  return useStore(store as typeof idle, (s) =>
    s.merged.updatedAt === null ? null : (s.nodeRates[nodeId]?.rate ?? 0),
  );
}

/** Total records a document node has processed, or null (see useNodeRate). */
export function useNodeTotal(nodeId: string): number | null {
  const store = useOptionalDeploymentStoreApi() ?? idle;
  return useStore(store as typeof idle, (s) =>
    s.merged.updatedAt === null ? null : (s.nodeRates[nodeId]?.total ?? 0),
  );
}
