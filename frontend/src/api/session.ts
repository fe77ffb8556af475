import type { Me } from "../types/api";
import { readCookie } from "../lib/cookies";
import { paths } from "../lib/routes";
import { api } from "./client";

export const fetchMe = (signal?: AbortSignal) => api.get<Me>("/api/me/", signal);

/**
 * Ends the Django session (POST /logout/ with the CSRF token) and goes to the login
 * page, which is a server page, so this is a full navigation.
 */
export async function logOut(): Promise<void> {
  const token = readCookie(document.cookie, "csrftoken");
  try {
    await fetch("/logout/", {
      method: "POST",
      credentials: "same-origin",
      headers: token ? { "X-CSRFToken": token } : {},
      redirect: "manual",
    });
  } finally {
    window.location.assign(paths.login());
  }
}
