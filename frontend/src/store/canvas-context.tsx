import { type ReactNode, createContext, useContext, useState } from "react";
import { useStore } from "zustand";
import type { FlowGraph } from "../lib/graph";
import { type CanvasStore, type CanvasStoreApi, createCanvasStore } from "./canvas-store";

const CanvasStoreContext = createContext<CanvasStoreApi | null>(null);

export function CanvasStoreProvider({ initial, children }: { initial: FlowGraph; children: ReactNode }) {
  // One store per mounted graph; a new document remounts the provider (keyed by the caller).
  const [store] = useState(() => createCanvasStore(initial));
  return <CanvasStoreContext.Provider value={store}>{children}</CanvasStoreContext.Provider>;
}

export function useCanvasStore<T>(selector: (state: CanvasStore) => T): T {
  const store = useContext(CanvasStoreContext);
  if (!store) throw new Error("useCanvasStore must be used inside <CanvasStoreProvider>");
  return useStore(store, selector);
}
