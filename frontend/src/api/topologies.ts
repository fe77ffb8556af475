import type { Page, TopologyDetail, TopologySummary, VersionDetail, VersionSummary } from "../types/api";
import type { TopologyDocument } from "../types/document";
import { api } from "./client";

export const fetchTopologies = (signal?: AbortSignal) =>
  api.get<Page<TopologySummary>>("/api/topologies/", signal);

export const fetchTopology = (id: number, signal?: AbortSignal) =>
  api.get<TopologyDetail>(`/api/topologies/${id}/`, signal);

/** One version with its document (a deployment may pin one that is not the latest). */
export const fetchVersion = (topologyId: number, versionNumber: number, signal?: AbortSignal) =>
  api.get<VersionDetail>(`/api/topologies/${topologyId}/versions/${versionNumber}/`, signal);

export const createTopology = (body: { workspace: number; name: string; description?: string }) =>
  api.post<TopologyDetail>("/api/topologies/", body);

export const fetchVersions = (topologyId: number, signal?: AbortSignal) =>
  api.get<Page<VersionSummary & { message: string; created_by: string | null }>>(`/api/topologies/${topologyId}/versions/`, signal);

export const saveVersion = (topologyId: number, document: TopologyDocument, message: string) =>
  api.post<VersionDetail>(`/api/topologies/${topologyId}/versions/`, { document, message });

export const exportPython = (topologyId: number, versionNumber: number, signal?: AbortSignal) =>
  api.get<{ filename: string; source: string }>(`/api/topologies/${topologyId}/versions/${versionNumber}/export/`, signal);

/** The Python program of an unsaved document (the editor's draft); 400 while it has errors. */
export const exportDraftPython = (document: TopologyDocument) =>
  api.post<{ filename: string; source: string }>("/api/export/", { document });
