// What the topology editor asks the studio besides topologies: the port kinds, live
// validation and a connection's topic names.
import type { Dataflow } from "../lib/dataflow";
import type { Page } from "../types/api";
import type { PortKindReference } from "../types/catalog";
import type { Problem, TopologyDocument } from "../types/document";
import { api, request } from "./client";

export const fetchPortKinds = (signal?: AbortSignal) => api.get<PortKindReference>("/api/port-kinds/", signal);

export const validateDocument = (document: TopologyDocument, connection: number | null, signal?: AbortSignal) =>
  request<{ problems: Problem[]; dataflow?: Dataflow }>(
    "POST",
    "/api/validate/",
    connection === null ? { document } : { document, connection },
    signal,
  );

export const fetchTopicNames = async (connection: number, signal?: AbortSignal): Promise<string[]> => {
  const body = await api.get<Page<{ name: string; internal: boolean }>>(`/api/connections/${connection}/topics/`, signal);
  return body.results.filter((t) => !t.internal).map((t) => t.name);
};
