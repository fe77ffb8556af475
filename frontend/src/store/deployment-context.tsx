import { type ReactNode, createContext, useContext, useState } from "react";
import { useStore } from "zustand";
import type { Deployment } from "../types/api";
import {
  type DeploymentStore,
  type DeploymentStoreApi,
  createDeploymentStore,
} from "./deployment-store";

const DeploymentStoreContext = createContext<DeploymentStoreApi | null>(null);

export function DeploymentStoreProvider({
  deployment,
  children,
}: {
  deployment?: Deployment | null;
  children: ReactNode;
}) {
  const [store] = useState(() => createDeploymentStore({ deployment }));
  return <DeploymentStoreContext.Provider value={store}>{children}</DeploymentStoreContext.Provider>;
}

export function useDeploymentStore<T>(selector: (state: DeploymentStore) => T): T {
  const store = useContext(DeploymentStoreContext);
  if (!store) throw new Error("useDeploymentStore must be used inside <DeploymentStoreProvider>");
  return useStore(store, selector);
}

/** The store API itself, for hooks that feed it from outside React's render. */
export function useDeploymentStoreApi(): DeploymentStoreApi {
  const store = useContext(DeploymentStoreContext);
  if (!store) throw new Error("useDeploymentStoreApi must be used inside <DeploymentStoreProvider>");
  return store;
}

/**
 * For components drawn both in the editor and on the dashboard (canvas nodes): the
 * store when a deployment is being monitored, else null.
 */
export function useOptionalDeploymentStoreApi(): DeploymentStoreApi | null {
  return useContext(DeploymentStoreContext);
}
