// The deployment endpoints the dashboard's controls, charts and deploy dialog use beyond
// src/api/deployments.ts.
import type { DeploymentRecord, HistorySeries, NewDeploymentBody } from "../types/dashboard";
import { api } from "./client";

export { fetchMe as fetchAccount } from "./session";

export const deploy = (body: NewDeploymentBody) => api.post<DeploymentRecord>("/api/deployments/", body);

export const scaleDeployment = (id: number, replicas: number) =>
  api.post<DeploymentRecord>(`/api/deployments/${id}/scale/`, { replicas });

/** With `generation`, only a deployment still at that generation restarts: a retry is safe. */
export const restartDeployment = (id: number, generation?: number) =>
  api.post<DeploymentRecord>(`/api/deployments/${id}/restart/`, { generation });

export const fetchMetricsHistory = (id: number, since: number, signal?: AbortSignal) =>
  api.get<HistorySeries[]>(`/api/deployments/${id}/metrics/?since=${Math.floor(since)}`, signal);
