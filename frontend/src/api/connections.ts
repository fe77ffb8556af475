import type { Page } from "../types/api";
import type { KafkaConnection } from "../types/dashboard";
import { api } from "./client";

export const fetchConnections = (workspaceId: number, signal?: AbortSignal) =>
  api.get<Page<KafkaConnection>>(`/api/connections/?workspace=${workspaceId}`, signal);
