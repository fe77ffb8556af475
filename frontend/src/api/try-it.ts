// The test bench's calls: run a document on sample steps, capture records from a topic.
import type { BrowsedRecords, TryRequest, TryResult } from "../types/try-it";
import { api } from "./client";

/** Runs the (unsaved) document server-side; a 400 (ApiError) lists the problems. */
export const runTrial = (body: TryRequest) => api.post<TryResult>("/api/try/", body);

export interface CaptureOptions {
  limit: number;
  keySerde: string;
  valueSerde: string;
}

/** The first records of every partition of `topic`, read with the source's serdes. */
export function captureTopicRecords(
  connectionId: number,
  topic: string,
  { limit, keySerde, valueSerde }: CaptureOptions,
  signal?: AbortSignal,
) {
  const query = new URLSearchParams({
    limit: String(limit),
    key_serde: keySerde,
    value_serde: valueSerde,
  });
  return api.get<BrowsedRecords>(
    `/api/connections/${connectionId}/topics/${encodeURIComponent(topic)}/records/?${query}`,
    signal,
  );
}
