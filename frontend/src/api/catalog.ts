import type { CatalogEntry } from "../types/catalog";
import { api } from "./client";

let cached: Promise<CatalogEntry[]> | null = null;

/** The node catalog changes only with a deploy of the studio, so one fetch per page load. */
export function fetchCatalog(): Promise<CatalogEntry[]> {
  cached ??= api
    .get<CatalogEntry[] | { results: CatalogEntry[] }>("/api/catalog/")
    .then((body) => (Array.isArray(body) ? body : body.results))
    .catch((error: unknown) => {
      cached = null;
      throw error;
    });
  return cached;
}
