// UI preferences that outlive a page: which panels are open, which output view is shown.
// Kept apart from canvas and deployment state; persisting them is a hook's job, not
// an action's.
import { createStore } from "zustand/vanilla";

export type OutputView = "records" | "by-key";

export interface UiState {
  describeOpen: boolean;
  outputView: OutputView;
}

export interface UiActions {
  setDescribeOpen: (open: boolean) => void;
  setOutputView: (view: OutputView) => void;
}

export type UiStore = UiState & UiActions;

export function createUiStore(initial: Partial<UiState> = {}) {
  return createStore<UiStore>()((set) => ({
    describeOpen: false,
    outputView: "records",
    ...initial,
    setDescribeOpen: (describeOpen) => set({ describeOpen }),
    setOutputView: (outputView) => set({ outputView }),
  }));
}

export type UiStoreApi = ReturnType<typeof createUiStore>;
