import type { AuditFilter, AuditPage } from "../types/audit";
import { queryString } from "../lib/query-string";
import { api } from "./client";

export const fetchAudit = (filter: AuditFilter, page: number, pageSize: number, signal?: AbortSignal) =>
  api.get<AuditPage>(`/api/audit/${queryString({ ...filter, page, page_size: pageSize })}`, signal);
