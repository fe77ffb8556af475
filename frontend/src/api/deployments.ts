import type { Deployment, Page } from "../types/api";
import { api } from "./client";

export const fetchDeployments = (topologyId: number, signal?: AbortSignal) =>
  api.get<Page<Deployment>>(`/api/deployments/?topology=${topologyId}`, signal);

export const fetchDeployment = (id: number, signal?: AbortSignal) =>
  api.get<Deployment>(`/api/deployments/${id}/`, signal);


export const startDeployment = (id: number) => api.post<Deployment>(`/api/deployments/${id}/start/`);

export const stopDeployment = (id: number) => api.post<Deployment>(`/api/deployments/${id}/stop/`);
