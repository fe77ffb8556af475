// Where a compile error of the expression compiler sits in the editor's text.
// runtime.spec's ExpressionError gives a 1-based line and column counted in characters
// (code points); JavaScript strings count UTF-16 units, so the two differ past an emoji.

export interface ExpressionErrorInfo {
  message: string;
  line?: number | null;
  column?: number | null;
}

/**
 * The range to underline for an error: the word (or the one character) at its line and
 * column, an empty range at a line's end, or the whole text when the error has no place.
 */
export function errorRange(text: string, line?: number | null, column?: number | null): { from: number; to: number } {
  if (line == null || line < 1) return { from: 0, to: text.length };
  const lines = text.split("\n");
  const index = Math.min(line, lines.length) - 1;
  let lineStart = 0;
  for (let i = 0; i < index; i += 1) lineStart += (lines[i] ?? "").length + 1;
  const lineText = lines[index] ?? "";
  const points = Array.from(lineText);
  const col = Math.max(1, Math.min(column ?? 1, points.length + 1));
  const offset = points.slice(0, col - 1).join("").length;
  const from = lineStart + offset;
  const rest = lineText.slice(offset);
  const word = /^[A-Za-z0-9_]+/.exec(rest);
  const length = word ? word[0].length : rest.length > 0 ? (Array.from(rest)[0] ?? "").length : 0;
  return { from, to: from + length };
}
