"""Regular expressions for expressions: checked, then compiled with the ``regex`` package.

Patterns use Python's ``re`` syntax. Matching uses ``regex`` for its per-call timeout,
but ``regex`` expands counted repeats when compiling (``a{4294967294}`` exhausts memory),
so a pattern is first parsed with ``re``'s parser, which does not expand them, and
refused if its expanded size would be large.

``regex`` also reads some text that ``re`` takes literally as syntax of its own: a brace
that is not a repeat as a fuzzy constraint (``kafka{e<=2}`` matches "kafkz"), ``[`` in a
set as a POSIX class (``[[:alpha:]]``), and it ends a comment where ``re`` does not.
Before ``regex`` compiles a pattern those characters are escaped and its comments left
out, so that it means what ``re`` says it means, which is also what was checked; a
verbose flag for part of a pattern (``(?x:...)``) is refused, as that rewriting follows
the verbose flag of the whole pattern only.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import regex

try:  # the parser of Python's re; a private module, present in every CPython 3.11+
    import re._parser as _sre_parse  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - CPython < 3.11
    import sre_parse as _sre_parse  # type: ignore[import-not-found,no-redef]

from runtime.spec.expressions.limits import MAX_PATTERN_LENGTH, MAX_PATTERN_SIZE

__all__ = ["PatternError", "compile_pattern"]

_REPEATS = {
    getattr(_sre_parse, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
    if hasattr(_sre_parse, name)
}


# A counted repeat as re's parser reads it: "{", digits, an optional comma and digits, "}";
# "{}" is literal text.
_REPEAT = re.compile(r"\{(?!\})[0-9]*,?[0-9]*\}")


class PatternError(ValueError):
    """A pattern is not acceptable; the message says why."""


def _for_regex(pattern: str, verbose: bool) -> str:
    """`pattern` with every "{" that re reads as literal text, and every "[" inside a
    set, escaped, and its comments left out."""
    out: list[str] = []
    i, n = 0, len(pattern)
    set_from = -1       # inside a set: where its first item starts (a "]" there is literal)
    while i < n:
        c = pattern[i]
        if c == "\\":
            end = i + 2
            if pattern.startswith("N{", i + 1):      # \N{NAME}
                close = pattern.find("}", i + 3)
                end = n if close < 0 else close + 1
            out.append(pattern[i:end])
            i = end
        elif set_from >= 0:
            if c == "]" and i > set_from:
                set_from = -1
            out.append("\\[" if c == "[" else c)
            i += 1
        elif c == "[":
            start, i = i, i + (2 if pattern.startswith("^", i + 1) else 1)
            out.append(pattern[start:i])
            set_from = i
        elif pattern.startswith("(?#", i) or (verbose and c == "#"):
            # Left out: regex ends a comment where re does not (a backslash before its end).
            i = _comment_end(pattern, i + 1, ")" if c == "(" else "\n")
        elif c == "{":
            repeat = _REPEAT.match(pattern, i)
            end = i + 1 if repeat is None else repeat.end()
            out.append("\\{" if repeat is None else pattern[i:end])
            i = end
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _comment_end(pattern: str, i: int, terminator: str) -> int:
    """Where a comment that goes on from `i` ends (just past `terminator`), reading as re
    does: a backslash and the character after it are one token, never the terminator."""
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
        elif pattern[i] == terminator:
            return i + 1
        else:
            i += 1
    return len(pattern)


def _scoped_verbose(parsed: Any) -> bool:
    """Whether a group turns the verbose flag on or off for part of the pattern."""
    for op, arg in parsed:
        if op is _sre_parse.SUBPATTERN and (arg[1] | arg[2]) & re.VERBOSE:
            return True
        if _nested(arg, _scoped_verbose):
            return True
    return False


def _nested(arg: Any, check: Any) -> bool:
    if isinstance(arg, _sre_parse.SubPattern):
        return bool(check(arg))
    if isinstance(arg, (tuple, list)):
        return any(_nested(part, check) for part in arg)
    return False


def _size(pattern: Any) -> int:
    """Items of a parsed (sub)pattern once counted repeats are written out."""
    total = 0
    for op, arg in pattern:
        if op in _REPEATS:
            low, high, sub = arg
            times = max(low, 1 if high == _sre_parse.MAXREPEAT else high)
            total += times * _size(sub)
        else:
            total += 1 + _nested_size(arg)
    return total


def _nested_size(arg: Any) -> int:
    """Size of the subpatterns inside an item's argument (groups, branches, assertions)."""
    if isinstance(arg, _sre_parse.SubPattern):
        return _size(arg)
    if isinstance(arg, (tuple, list)):
        return sum(_nested_size(part) for part in arg)
    return 0


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Any:
    """The compiled pattern; raises PatternError for one that is invalid or too large."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"the pattern is longer than {MAX_PATTERN_LENGTH} characters")
    try:
        parsed = _sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise PatternError(f"invalid regular expression: {exc}") from None
    size = _size(parsed)
    if size > MAX_PATTERN_SIZE:
        raise PatternError(
            f"the pattern repeats too much ({size:,} items once its counted repeats are "
            f"written out; the limit is {MAX_PATTERN_SIZE:,})"
        )
    if _scoped_verbose(parsed):
        raise PatternError("the verbose flag (x) may only be set for the whole pattern, with (?x) at its start")
    try:
        return regex.compile(_for_regex(pattern, bool(parsed.state.flags & re.VERBOSE)), regex.VERSION0)
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        raise PatternError(f"invalid regular expression: {exc}") from None
