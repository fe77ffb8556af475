// Keeps unsaved edits from being lost by leaving the page: the browser's own prompt on
// reload or close, a confirmation on client-side navigation.
import { useEffect } from "react";
import { setNavigationGuard } from "./use-location";

export const UNSAVED_MESSAGE = "This topology has unsaved changes. Leave and lose them?";

export function useUnsavedGuard(dirty: boolean): void {
  useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Chromium still wants returnValue set for the prompt to show.
      event.returnValue = UNSAVED_MESSAGE;
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    setNavigationGuard(() => window.confirm(UNSAVED_MESSAGE));
    return () => {
      window.removeEventListener("beforeunload", onBeforeUnload);
      setNavigationGuard(null);
    };
  }, [dirty]);
}
