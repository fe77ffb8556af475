// A tiny client-side router: the current pathname as React state, and navigate().
import { useSyncExternalStore } from "react";

const NAVIGATE_EVENT = "riffle:navigate";

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener(NAVIGATE_EVENT, onChange);
  };
}

export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

/** Asked before every client-side navigation; false keeps the page (unsaved changes). */
let guard: (() => boolean) | null = null;

export function setNavigationGuard(check: (() => boolean) | null): void {
  guard = check;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  if (guard && !guard()) return;
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.scrollTo(0, 0);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}
