import type { Page, TopologyDetail, TopologySummary, VersionDetail } from "../types/api";
import { api } from "./client";

export const fetchTopologies = (signal?: AbortSignal) =>
  api.get<Page<TopologySummary>>("/api/topologies/", signal);

export const fetchTopology = (id: number, signal?: AbortSignal) =>
  api.get<TopologyDetail>(`/api/topologies/${id}/`, signal);

/** One version with its document (a deployment may pin one that is not the latest). */
export const fetchVersion = (topologyId: number, versionNumber: number, signal?: AbortSignal) =>
  api.get<VersionDetail>(`/api/topologies/${topologyId}/versions/${versionNumber}/`, signal);
