// Reprocessing endpoints (docs/internals.md, "Reprocessing"), the lag and versions they
// need, and /api/me/ with the user's role per workspace.
import type { Page } from "../types/api";
import type {
  Comparison,
  DeploymentLag,
  Operation,
  ReprocessDeployment,
  ResetBody,
  ResetPlan,
  SideBySideBody,
  VersionPage,
} from "../types/reprocess";
import { api } from "./client";

const base = (id: number) => `/api/deployments/${id}`;


export const fetchReprocessDeployment = (id: number, signal?: AbortSignal) =>
  api.get<ReprocessDeployment>(`${base(id)}/`, signal);

export const fetchTopologyDeployments = (topologyId: number, signal?: AbortSignal) =>
  api.get<Page<ReprocessDeployment>>(`/api/deployments/?topology=${topologyId}&page_size=500`, signal);

/** Newest first. */
export const fetchVersionList = (topologyId: number, signal?: AbortSignal) =>
  api.get<VersionPage>(`/api/topologies/${topologyId}/versions/?page_size=500`, signal);

/** The dry run: what a reset would change, changing nothing. */
export const planReset = (id: number, body: ResetBody) =>
  api.post<ResetPlan>(`${base(id)}/reset/`, { ...body, dry_run: true });

/** The reset itself: an operation (202) that runs on a worker. */
export const startReset = (id: number, body: ResetBody) =>
  api.post<Operation>(`${base(id)}/reset/`, { ...body, dry_run: false });

export const fetchOperation = (id: number, operationId: number, signal?: AbortSignal) =>
  api.get<Operation>(`${base(id)}/operations/${operationId}/`, signal);

export const fetchOperations = (id: number, signal?: AbortSignal) =>
  api.get<Page<Operation>>(`${base(id)}/operations/?page_size=5`, signal);

export const startSideBySide = (id: number, body: SideBySideBody) =>
  api.post<ReprocessDeployment>(`${base(id)}/side-by-side/`, body);

export const fetchLag = (id: number, signal?: AbortSignal) => api.get<DeploymentLag>(`${base(id)}/lag/`, signal);

export const fetchComparison = (id: number, limit?: number, signal?: AbortSignal) =>
  api.get<Comparison>(`${base(id)}/comparison/${limit ? `?limit=${limit}` : ""}`, signal);

export const promoteCandidate = (id: number) => api.post<ReprocessDeployment>(`${base(id)}/promote/`);

export const discardCandidate = (id: number, deleteOutputTopics: boolean) =>
  api.post<Operation>(`${base(id)}/discard/`, { delete_output_topics: deleteOutputTopics });
