// Which connections the editor accepts. The words follow runtime.spec's edge check
// (validation/edges.py), with the kind names and hints it serves at /api/port-kinds/,
// so a refused drag and a validation problem say the same thing.
import type { CatalogPort, PortKindReference } from "../types/catalog";

export interface PortedNode {
  id: string;
  data: { title: string; inputs: CatalogPort[]; outputs: CatalogPort[] };
}

export interface Link {
  source: string;
  sourceHandle?: string | null;
  target: string;
  targetHandle?: string | null;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

const OK: Verdict = { ok: true };

export function kindName(kind: string, reference: PortKindReference | null): string {
  return reference?.kinds[kind] ?? `a ${kind.replace(/_/g, " ")}`;
}

/** Why `link` may not be added to the graph of `nodes` and `edges`, or ok. */
export function checkConnection(
  nodes: readonly PortedNode[],
  edges: readonly Link[],
  link: Link,
  reference: PortKindReference | null,
): Verdict {
  const source = nodes.find((n) => n.id === link.source);
  const target = nodes.find((n) => n.id === link.target);
  if (!source || !target) return { ok: false, reason: "Connect two nodes of this topology." };
  if (source.id === target.id) return { ok: false, reason: "A node cannot feed itself." };
  const out = source.data.outputs.find((p) => p.name === (link.sourceHandle ?? "out"));
  const input = target.data.inputs.find((p) => p.name === (link.targetHandle ?? "in"));
  if (!out) return { ok: false, reason: `${describe(source)} has no output ${quote(link.sourceHandle)}.` };
  if (!input) return { ok: false, reason: `${describe(target)} has no input ${quote(link.targetHandle)}.` };
  if (out.kind !== input.kind) {
    const hint = reference?.hints.find((h) => h.expected === input.kind && h.given === out.kind)?.hint;
    return {
      ok: false,
      reason:
        `Input '${input.name}' of ${describe(target)} takes ${kindName(input.kind, reference)}, ` +
        `but ${describe(source)} gives ${kindName(out.kind, reference)}` +
        (hint ? `; ${hint}.` : "."),
    };
  }
  const into = edges.filter((e) => e.target === target.id && (e.targetHandle ?? "in") === input.name);
  if (into.some((e) => e.source === source.id && (e.sourceHandle ?? "out") === out.name)) {
    return { ok: false, reason: "These ports are already connected." };
  }
  if (into.length > 0 && !input.multiple) {
    return {
      ok: false,
      reason: `Input '${input.name}' of ${describe(target)} takes one connection and has one (use Merge to combine streams).`,
    };
  }
  if (reaches(edges, target.id, source.id)) {
    return { ok: false, reason: `This would make a cycle: ${describe(target)} already feeds ${describe(source)}.` };
  }
  return OK;
}

/** True when `to` can be reached from `from` along the edges. */
export function reaches(edges: readonly Link[], from: string, to: string): boolean {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === to) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(next.get(id) ?? []));
  }
  return false;
}

function describe(node: PortedNode): string {
  return `'${node.id}' (${node.data.title})`;
}

function quote(name: string | null | undefined): string {
  return name ? `'${name}'` : "(none)";
}
