// Undo/redo over immutable snapshots. Edits of one field typed in quick succession are
// one step (a tag and a time window), so undo does not go back one keystroke at a time.

export interface History<T> {
  past: T[];
  future: T[];
  lastTag: string | null;
  lastAt: number;
}

export const LIMIT = 100;
export const COALESCE_MS = 1000;

export function emptyHistory<T>(): History<T> {
  return { past: [], future: [], lastTag: null, lastAt: 0 };
}

/**
 * The history after an edit that replaces `present`. An edit with the same tag as the
 * previous one within COALESCE_MS joins it (the state before the first is kept).
 */
export function record<T>(history: History<T>, present: T, tag: string | null = null, now = Date.now()): History<T> {
  if (tag !== null && tag === history.lastTag && now - history.lastAt < COALESCE_MS && history.past.length > 0) {
    return { ...history, future: [], lastAt: now };
  }
  const past = [...history.past, present];
  if (past.length > LIMIT) past.splice(0, past.length - LIMIT);
  return { past, future: [], lastTag: tag, lastAt: now };
}

export function undo<T>(history: History<T>, present: T): { history: History<T>; present: T } | null {
  const previous = history.past[history.past.length - 1];
  if (previous === undefined) return null;
  return {
    present: previous,
    history: { past: history.past.slice(0, -1), future: [present, ...history.future], lastTag: null, lastAt: 0 },
  };
}

export function redo<T>(history: History<T>, present: T): { history: History<T>; present: T } | null {
  const next = history.future[0];
  if (next === undefined) return null;
  return {
    present: next,
    history: { past: [...history.past, present], future: history.future.slice(1), lastTag: null, lastAt: 0 },
  };
}
