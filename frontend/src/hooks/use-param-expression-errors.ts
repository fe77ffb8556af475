// Compile errors, with their line and column, of a node's expression params: each one
// is checked on the server (POST /api/expressions/check/) a moment after it changes,
// for the expression editor to underline. Only top-level params; expressions inside
// lists (a split's branches) get validation's message on their field instead.
import { useEffect, useState } from "react";
import { checkExpression } from "../api/expressions";
import type { ExpressionErrorInfo } from "../lib/expression-errors";
import type { JsonSchema } from "../types/catalog";

export const CHECK_DELAY_MS = 350;

export function useParamExpressionErrors(
  schema: JsonSchema | undefined,
  params: Record<string, unknown>,
): Record<string, ExpressionErrorInfo | null> {
  const [errors, setErrors] = useState<Record<string, ExpressionErrorInfo | null>>({});
  const wanted: Array<[string, string, string]> = [];
  for (const [name, property] of Object.entries(schema?.properties ?? {})) {
    const spec = property["x-expression"] as { kind?: string } | undefined;
    const source = params[name];
    if (spec?.kind && typeof source === "string" && source.trim() !== "") wanted.push([name, spec.kind, source]);
  }
  const key = JSON.stringify(wanted);

  useEffect(() => {
    let current = true;
    const timer = window.setTimeout(() => {
      const checks = (JSON.parse(key) as Array<[string, string, string]>).map(([name, kind, source]) =>
        checkExpression(source, kind).then(
          (answer) => [name, answer.error] as const,
          () => [name, null] as const, // no verdict: validation still reports the problem
        ),
      );
      void Promise.all(checks).then((answers) => {
        if (current) setErrors(Object.fromEntries(answers));
      });
    }, CHECK_DELAY_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [key]);
  return errors;
}
