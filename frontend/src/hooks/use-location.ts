// A tiny client-side router: the current pathname as React state, and navigate().
import { useSyncExternalStore } from "react";

const NAVIGATE_EVENT = "riffle:navigate";

/** Asked before every client-side navigation; false keeps the page (unsaved changes). */
let guard: (() => boolean) | null = null;

/** Where the app is, to return to when the guard refuses a Back or Forward. */
let shown = typeof window === "undefined" ? "" : window.location.pathname + window.location.search;

// One listener for Back and Forward: the browser has already moved when popstate comes,
// so a refusal puts the page's own address back rather than cancelling.
if (typeof window !== "undefined") {
  window.addEventListener("popstate", () => {
    if (guard && !guard()) {
      window.history.pushState(null, "", shown);
      return;
    }
    shown = window.location.pathname + window.location.search;
    window.dispatchEvent(new Event(NAVIGATE_EVENT));
  });
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => window.removeEventListener(NAVIGATE_EVENT, onChange);
}

export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

export function setNavigationGuard(check: (() => boolean) | null): void {
  guard = check;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  if (guard && !guard()) return;
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  shown = window.location.pathname + window.location.search;
  window.scrollTo(0, 0);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}
