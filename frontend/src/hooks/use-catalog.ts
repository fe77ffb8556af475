import { useMemo } from "react";
import { fetchCatalog } from "../api/catalog";
import { type CatalogIndex, indexCatalog } from "../lib/catalog";
import { useResource } from "./use-resource";

/** The node catalog as an index by type; empty (not failing) while it loads. */
export function useCatalog(): { catalog: CatalogIndex; loading: boolean; error: Error | undefined } {
  const { data, loading, error } = useResource(() => fetchCatalog(), []);
  const catalog = useMemo(() => indexCatalog(data ?? []), [data]);
  return { catalog, loading, error };
}
