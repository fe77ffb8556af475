import { type ReactNode, createContext, useContext, useState } from "react";
import { useStore } from "zustand";
import type { CatalogIndex } from "../lib/catalog";
import type { FlowGraph } from "../lib/graph";
import { type CanvasStore, type CanvasStoreApi, createCanvasStore } from "./canvas-store";

const CanvasStoreContext = createContext<CanvasStoreApi | null>(null);

export function CanvasStoreProvider({
  initial,
  catalog,
  children,
}: {
  initial: FlowGraph;
  catalog?: CatalogIndex;
  children: ReactNode;
}) {
  // One store per mounted graph; a new document remounts the provider (keyed by the caller).
  const [store] = useState(() => createCanvasStore(initial, catalog));
  return <CanvasStoreContext.Provider value={store}>{children}</CanvasStoreContext.Provider>;
}

export function useCanvasStore<T>(selector: (state: CanvasStore) => T): T {
  const store = useContext(CanvasStoreContext);
  if (!store) throw new Error("useCanvasStore must be used inside <CanvasStoreProvider>");
  return useStore(store, selector);
}

/** The store itself, for event handlers that read the latest state without subscribing. */
export function useCanvasStoreApi(): CanvasStoreApi {
  const store = useContext(CanvasStoreContext);
  if (!store) throw new Error("useCanvasStoreApi must be used inside <CanvasStoreProvider>");
  return store;
}
