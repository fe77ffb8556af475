// Documents as files: what "Export" writes and what "Import" accepts.
import type { TopologyDocument } from "../types/document";

export function documentFileName(name: string): string {
  const stem = name.trim().toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return `${stem || "topology"}.json`;
}

/**
 * A document read from a file, or the reason it is not one. Only its shape is checked
 * here; the studio's validation reports what is wrong inside.
 */
export function parseDocumentFile(text: string): { document: TopologyDocument } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `The file is not JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { error: "The file holds no topology document (expected a JSON object)." };
  }
  const doc = value as Record<string, unknown>;
  if (!Array.isArray(doc.nodes) || !Array.isArray(doc.edges)) {
    return { error: "The file holds no topology document: it needs \"nodes\" and \"edges\" lists." };
  }
  if (typeof doc.format_version !== "number") {
    return { error: "The document has no format_version." };
  }
  const malformed = (doc.nodes as unknown[]).findIndex(
    (n) => typeof n !== "object" || n === null || typeof (n as { id?: unknown }).id !== "string" || typeof (n as { type?: unknown }).type !== "string",
  );
  if (malformed >= 0) return { error: `Node ${malformed + 1} of the file has no string "id" and "type".` };
  const badEdge = (doc.edges as unknown[]).findIndex((e) => {
    const edge = e as Record<string, unknown> | null;
    return !edge || ["id", "source", "target"].some((k) => typeof edge[k] !== "string");
  });
  if (badEdge >= 0) return { error: `Edge ${badEdge + 1} of the file has no string "id", "source" and "target".` };
  return { document: value as TopologyDocument };
}
