// The compiler's verdict on an expression as the user types: POST /api/expressions/check/
// a moment after the last change; answers to older texts are dropped.
import { useEffect, useState } from "react";
import { checkExpression } from "../api/expressions";
import type { ExpressionErrorInfo } from "../lib/expression-errors";

export interface ExpressionCheckState {
  /** The compile error of the text last checked; null when it compiles (or is unchecked). */
  error: ExpressionErrorInfo | null;
  /** A check is pending or under way for the current text. */
  checking: boolean;
  /** Why the check itself failed (the studio unreachable, ...); the text may still be fine. */
  failure: Error | null;
}

export function useExpressionCheck(source: string, kind: string, delayMs = 300): ExpressionCheckState {
  const [state, setState] = useState<ExpressionCheckState>({ error: null, checking: false, failure: null });
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, checking: true }));
    const timer = window.setTimeout(() => {
      checkExpression(source, kind).then(
        (answer) => current && setState({ error: answer.error, checking: false, failure: null }),
        (reason: unknown) =>
          current && setState((s) => ({ ...s, checking: false, failure: reason instanceof Error ? reason : new Error(String(reason)) })),
      );
    }, delayMs);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [source, kind, delayMs]);
  return state;
}
