// The expression language's helpers on the studio: its functions and a compile check.
import type { ExpressionFunction } from "../lib/expression-completion";
import { ApiError, api } from "./client";

/** One entry of GET /api/functions/ (runtime.spec.function_reference()). */
export interface FunctionReference {
  name: string;
  signature: string;
  description: string;
  user_defined?: boolean;
  origin?: string;
}

export interface ExpressionCheck {
  ok: boolean;
  error: { message: string; line: number | null; column: number | null } | null;
}

export const fetchFunctionReference = (signal?: AbortSignal) =>
  api.get<FunctionReference[]>("/api/functions/", signal);

/** The functions in the shape ExpressionEditor takes. */
export async function fetchExpressionFunctions(signal?: AbortSignal): Promise<ExpressionFunction[]> {
  const reference = await fetchFunctionReference(signal);
  return reference.map((f) => ({
    name: f.name,
    signature: f.signature,
    doc: f.user_defined ? `${f.description} (installed: ${f.origin ?? "user-defined"})` : f.description,
  }));
}

/**
 * Whether `source` compiles as an expression of `kind` (POST /api/expressions/check/).
 * A source longer than the compiler's limit is refused by the API with a 400 on
 * `source`; that comes back as an error without a place, like the compiler's own.
 */
export async function checkExpression(source: string, kind: string): Promise<ExpressionCheck> {
  try {
    return await api.post<ExpressionCheck>("/api/expressions/check/", { source, kind });
  } catch (error) {
    const refusal = error instanceof ApiError && error.status === 400 ? error.problems.find((p) => p.path === "source") : undefined;
    if (refusal) return { ok: false, error: { message: refusal.message, line: null, column: null } };
    throw error;
  }
}
