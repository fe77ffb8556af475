// Interactive queries of a running deployment's state stores.
import type { QueryableStore, StoreAnswer, StoreList } from "../types/stores";
import { storePath } from "../lib/stores";
import { api } from "./client";

export const fetchStores = (deploymentId: number, signal?: AbortSignal) =>
  api.get<StoreList>(`/api/deployments/${deploymentId}/stores/`, signal);

/** `query` is the query string buildStoreQuery made ("" or "?…"). */
export const queryStore = (deploymentId: number, store: QueryableStore, query: string, signal?: AbortSignal) =>
  api.get<StoreAnswer>(`${storePath(deploymentId, store.name)}${query}`, signal);
