// The functions expressions may call (GET /api/functions/), fetched once per page load
// and shared by every expression editor.
import { useEffect, useState } from "react";
import { fetchExpressionFunctions } from "../api/expressions";
import type { ExpressionFunction } from "../lib/expression-completion";

let shared: Promise<ExpressionFunction[]> | null = null;
let loaded: ExpressionFunction[] | null = null;

export function useExpressionFunctions(): ExpressionFunction[] {
  const [functions, setFunctions] = useState<ExpressionFunction[]>(loaded ?? []);
  useEffect(() => {
    if (loaded) return;
    let current = true;
    shared ??= fetchExpressionFunctions().then(
      (list) => (loaded = list),
      (reason: unknown) => {
        shared = null; // try again on the next editor
        throw reason;
      },
    );
    shared.then(
      (list) => current && setFunctions(list),
      () => undefined, // completion just lacks functions; the editor still works
    );
    return () => {
      current = false;
    };
  }, []);
  return functions;
}
