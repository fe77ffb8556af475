import { describe, expect, it } from "vitest";
import { errorRange } from "./expression-errors";

describe("errorRange", () => {
  it("underlines the name at the error's line and column", () => {
    // `secret` starts at the 15th character of the line.
    expect(errorRange('key == "x" or secret', 1, 15)).toEqual({ from: 14, to: 20 });
  });

  it("underlines one character when no word starts there", () => {
    expect(errorRange('value["a"] > > 1', 1, 14)).toEqual({ from: 13, to: 14 });
  });

  it("counts columns in characters on later lines", () => {
    const text = 'value["é"]\n  + __import__("os")';
    expect(errorRange(text, 2, 5)).toEqual({ from: 15, to: 25 });
    // An emoji is one character for Python and two UTF-16 units here.
    expect(errorRange('"😀" + nope', 1, 7)).toEqual({ from: 7, to: 11 });
  });

  it("marks an empty range at a line's end and clamps places past the text", () => {
    expect(errorRange("value[", 1, 7)).toEqual({ from: 6, to: 6 });
    expect(errorRange("ab", 9, 99)).toEqual({ from: 2, to: 2 });
  });

  it("covers the whole text when the error has no place", () => {
    expect(errorRange("x".repeat(5), null, null)).toEqual({ from: 0, to: 5 });
    expect(errorRange("", undefined)).toEqual({ from: 0, to: 0 });
  });
});
