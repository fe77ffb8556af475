// The one place that talks HTTP to the studio: JSON in and out, the session cookie,
// Django's CSRF header on unsafe methods, and errors as ApiError.
import type { Problem } from "../types/document";
import { readCookie } from "../lib/cookies";

export class ApiError extends Error {
  readonly status: number;
  readonly problems: Problem[];

  constructor(status: number, message: string, problems: Problem[] = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.problems = problems;
  }

  /** The session is gone (or never was): the user must log in. */
  get unauthenticated(): boolean {
    return this.status === 401;
  }
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export async function request<T>(
  method: Method,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") {
    const token = readCookie(document.cookie, "csrftoken");
    if (token) headers["X-CSRFToken"] = token;
  }

  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, "The studio did not answer. Is the server running?");
  }

  // Django's login_required answers API calls with a redirect to the login page.
  if (response.redirected && new URL(response.url).pathname.startsWith("/login")) {
    throw new ApiError(401, "Your session has ended. Please log in again.");
  }
  const payload = await readJson(response);
  if (!response.ok) {
    const message =
      isRecord(payload) && typeof payload.message === "string"
        ? payload.message
        : isRecord(payload) && typeof payload.detail === "string"
          ? payload.detail
          : `${method} ${path} failed with ${response.status} ${response.statusText}`.trim();
    const problems = isRecord(payload) && Array.isArray(payload.problems) ? (payload.problems as Problem[]) : [];
    throw new ApiError(response.status, message, problems);
  }
  return payload as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>("GET", path, undefined, signal),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {}),
};

async function readJson(response: Response): Promise<unknown> {
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    if (!response.ok) return null;
    throw new ApiError(response.status, `Expected JSON from ${response.url}, got something else.`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
