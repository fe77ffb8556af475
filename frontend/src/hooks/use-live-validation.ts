// Validates the draft on the server a moment after each change (what saving would
// report, plus topic checks against the chosen connection) and puts the problems on
// the canvas. A newer draft cancels the check of an older one.
import { useEffect, useState } from "react";
import { validateDocument } from "../api/editor";
import { useCanvasStore } from "../store/canvas-context";
import type { TopologyDocument } from "../types/document";

export const VALIDATE_DELAY_MS = 400;

export function useLiveValidation(document: TopologyDocument, connection: number | null): {
  checking: boolean;
  error: Error | null;
} {
  const setProblems = useCanvasStore((s) => s.setProblems);
  const setDataflow = useCanvasStore((s) => s.setDataflow);
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  // Positions do not change what validation says; only a change elsewhere re-checks.
  const key = JSON.stringify({ ...document, nodes: document.nodes.map(({ position: _, ...n }) => n) });

  useEffect(() => {
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      setChecking(true);
      validateDocument(document, connection, controller.signal).then(
        (body) => {
          setProblems(body.problems);
          setDataflow(body.dataflow ?? null);
          setError(null);
          setChecking(false);
        },
        (reason: unknown) => {
          if (controller.signal.aborted) return;
          const problems = (reason as { problems?: unknown }).problems;
          if (Array.isArray(problems) && problems.length > 0) {
            setProblems(problems);
            setError(null);
          } else {
            setError(reason instanceof Error ? reason : new Error(String(reason)));
          }
          setChecking(false);
        },
      );
    }, VALIDATE_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
    // `document` is read through `key`, which leaves out positions.
  }, [key, connection, setProblems, setDataflow]);

  return { checking, error };
}
