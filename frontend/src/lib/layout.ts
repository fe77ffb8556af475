// A small layered layout for documents saved without positions: each node goes one
// column right of its furthest upstream node; columns are centred vertically.
import type { DocumentEdge, DocumentNode, DocumentPosition } from "../types/document";

export const COLUMN_WIDTH = 280;
export const ROW_HEIGHT = 130;
/** Vertical space between bands when a long pipeline is wrapped. */
export const BAND_GAP = 70;
/** Wrap a pipeline into bands while it is wider than this many times its height. */
export const MAX_ASPECT = 4;
export const MIN_BAND_COLUMNS = 3;

/** True when nodes lack positions or two nodes share one (they would hide each other). */
export function needsLayout(nodes: readonly DocumentNode[]): boolean {
  const seen = new Set<string>();
  for (const node of nodes) {
    const p = node.position;
    if (!p || !Number.isFinite(p.x) || !Number.isFinite(p.y)) return true;
    const spot = `${Math.round(p.x)}:${Math.round(p.y)}`;
    if (seen.has(spot)) return true;
    seen.add(spot);
  }
  return false;
}

/**
 * Longest-path layering. Cycles (invalid in a topology, but a document may hold one
 * while being edited) are broken by ignoring edges that would revisit a node on the
 * current path. Node order inside a column follows document order, which keeps the
 * layout stable between versions.
 *
 * A long, thin pipeline (word count is eight steps in a row) would be drawn too small
 * to read when fitted to the screen, so columns are wrapped into bands read left to
 * right, top to bottom, until the drawing is at most `maxAspect` times wider than high.
 */
export function layeredLayout(
  nodeIds: readonly string[],
  edges: readonly DocumentEdge[],
  maxAspect = MAX_ASPECT,
): Map<string, DocumentPosition> {
  const known = new Set(nodeIds);
  const parents = new Map<string, string[]>(nodeIds.map((id) => [id, []]));
  for (const edge of edges) {
    if (known.has(edge.source) && known.has(edge.target) && edge.source !== edge.target) {
      parents.get(edge.target)!.push(edge.source);
    }
  }

  const layer = new Map<string, number>();
  const onPath = new Set<string>();
  const depth = (id: string): number => {
    const cached = layer.get(id);
    if (cached !== undefined) return cached;
    onPath.add(id);
    let value = 0;
    for (const parent of parents.get(id) ?? []) {
      if (onPath.has(parent)) continue;
      value = Math.max(value, depth(parent) + 1);
    }
    onPath.delete(id);
    layer.set(id, value);
    return value;
  };
  nodeIds.forEach(depth);

  const columns = new Map<number, string[]>();
  for (const id of nodeIds) {
    const column = layer.get(id) ?? 0;
    columns.set(column, [...(columns.get(column) ?? []), id]);
  }
  const tallest = Math.max(0, ...[...columns.values()].map((c) => c.length));
  const layers = columns.size;
  const perBand = columnsPerBand(layers, tallest, maxAspect);
  const bandHeight = tallest * ROW_HEIGHT + BAND_GAP;
  const positions = new Map<string, DocumentPosition>();
  for (const [column, ids] of columns) {
    const band = Math.floor(column / perBand);
    const offset = ((tallest - ids.length) * ROW_HEIGHT) / 2;
    ids.forEach((id, row) => {
      positions.set(id, {
        x: (column % perBand) * COLUMN_WIDTH,
        y: band * bandHeight + offset + row * ROW_HEIGHT,
      });
    });
  }
  return positions;
}

/**
 * Columns per band: the fewest bands whose drawing is no wider than `maxAspect` × its
 * height, but never fewer than MIN_BAND_COLUMNS steps in a band (short pipelines stay
 * on one line).
 */
export function columnsPerBand(layers: number, tallest: number, maxAspect: number): number {
  let best = Math.max(1, layers);
  for (let bands = 1; bands <= layers; bands++) {
    const perBand = Math.ceil(layers / bands);
    if (bands > 1 && perBand < MIN_BAND_COLUMNS) break;
    best = perBand;
    const width = perBand * COLUMN_WIDTH;
    const height = bands * tallest * ROW_HEIGHT + (bands - 1) * BAND_GAP;
    if (width <= maxAspect * height) break;
  }
  return best;
}

/**
 * True when saved positions draw a long thin strip (wider than MAX_ASPECT times its
 * height, with at least MIN_BAND_COLUMNS * 2 nodes): fitted to a screen it would be
 * too small to read, so a read-only view lays it out again in bands.
 */
export function tooWide(nodes: readonly DocumentNode[]): boolean {
  if (nodes.length < MIN_BAND_COLUMNS * 2 || needsLayout(nodes)) return false;
  const xs = nodes.map((n) => n.position!.x);
  const ys = nodes.map((n) => n.position!.y);
  const width = Math.max(...xs) - Math.min(...xs) + COLUMN_WIDTH;
  const height = Math.max(...ys) - Math.min(...ys) + ROW_HEIGHT;
  return width > MAX_ASPECT * height;
}
