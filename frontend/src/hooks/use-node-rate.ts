import { useStore } from "zustand";
import { createStore } from "zustand/vanilla";
import { useOptionalDeploymentStoreApi } from "../store/deployment-context";
import type { DeploymentStore } from "../store/deployment-store";
import { errorsByNode } from "../lib/live-samples";

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

const noErrors = createStore<{ merged: { errors: DeploymentStore["merged"]["errors"] }; documentNodeIds: string[] }>()(() => ({
  merged: { errors: [] },
  documentNodeIds: [],
}));

/** How many of the latest reported errors a document node had (0 outside a dashboard). */
export function useNodeErrorCount(nodeId: string): number {
  const store = useOptionalDeploymentStoreApi() ?? noErrors;
  return useStore(store as typeof noErrors, (s) => errorsByNode(s.merged.errors, s.documentNodeIds)[nodeId] ?? 0);
}
