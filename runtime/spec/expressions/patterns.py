"""Regular expressions for expressions: checked, then compiled with the ``regex`` package.

Patterns use Python's ``re`` syntax. Matching uses ``regex`` for its per-call timeout,
but ``regex`` expands counted repeats when compiling (``a{4294967294}`` exhausts memory),
so a pattern is first parsed with ``re``'s parser, which does not expand them, and
refused if its expanded size would be large.
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


class PatternError(ValueError):
    """A pattern is not acceptable; the message says why."""


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
    try:
        return regex.compile(pattern, regex.VERSION0)
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        raise PatternError(f"invalid regular expression: {exc}") from None
