import { type ReactNode, createContext, useContext, useState } from "react";
import { useStore } from "zustand";
import { type UiState, type UiStore, type UiStoreApi, createUiStore } from "./ui-store";

const UiStoreContext = createContext<UiStoreApi | null>(null);

export function UiStoreProvider({ initial, children }: { initial?: Partial<UiState>; children: ReactNode }) {
  const [store] = useState(() => createUiStore(initial));
  return <UiStoreContext.Provider value={store}>{children}</UiStoreContext.Provider>;
}

export function useUiStore<T>(selector: (state: UiStore) => T): T {
  const store = useContext(UiStoreContext);
  if (!store) throw new Error("useUiStore must be used inside <UiStoreProvider>");
  return useStore(store, selector);
}
