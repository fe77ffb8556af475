import { type ReactNode, createContext, useContext, useState } from "react";
import { useStore } from "zustand";
import { type TimelineStore, type TimelineStoreApi, createTimelineStore } from "./timeline-store";

const TimelineStoreContext = createContext<TimelineStoreApi | null>(null);

export function TimelineStoreProvider({ children }: { children: ReactNode }) {
  const [store] = useState(() => createTimelineStore());
  return <TimelineStoreContext.Provider value={store}>{children}</TimelineStoreContext.Provider>;
}

export function useTimelineStore<T>(selector: (state: TimelineStore) => T): T {
  const store = useContext(TimelineStoreContext);
  if (!store) throw new Error("useTimelineStore must be used inside <TimelineStoreProvider>");
  return useStore(store, selector);
}

export function useTimelineStoreApi(): TimelineStoreApi {
  const store = useContext(TimelineStoreContext);
  if (!store) throw new Error("useTimelineStoreApi must be used inside <TimelineStoreProvider>");
  return store;
}
