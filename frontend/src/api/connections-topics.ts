// Connections' topics and records: list, read from an offset or a time, produce, create.
import type {
  Connection,
  NewRecord,
  NewTopic,
  PagedList,
  ProducedRecord,
  RecordsPage,
  RecordsQuery,
  TopicInfo,
} from "../types/topics";
import { queryString } from "../lib/query-string";
import { api, request } from "./client";

export { fetchMe as fetchMeWithWorkspaces } from "./session";

export const fetchConnectionList = (signal?: AbortSignal) =>
  api.get<PagedList<Connection>>("/api/connections/?page_size=500", signal);

/** One page of a connection's topics (500 a page, the most the API gives). */
export const fetchTopics = (connectionId: number, page: number, signal?: AbortSignal) =>
  api.get<PagedList<TopicInfo>>(`/api/connections/${connectionId}/topics/${queryString({ page, page_size: 500 })}`, signal);

export const fetchRecords = (connectionId: number, topic: string, query: RecordsQuery, signal?: AbortSignal) =>
  api.get<RecordsPage>(
    `/api/connections/${connectionId}/topics/${encodeURIComponent(topic)}/records/${queryString({ ...query })}`,
    signal,
  );

export const produceRecord = (connectionId: number, topic: string, record: NewRecord) =>
  request<ProducedRecord>("POST", `/api/connections/${connectionId}/topics/${encodeURIComponent(topic)}/records/`, record);

export const createTopic = (connectionId: number, topic: NewTopic) =>
  request<TopicInfo>("POST", `/api/connections/${connectionId}/topics/`, topic);
