"""The registry of pure functions that expressions may call by name.

Two sorts: plain functions, called as written, and *budgeted* functions, which may
make large values or take long; the compiler passes them the evaluation's
:class:`~runtime.spec.expressions.guards.Budget` as a hidden first argument, so they
can check sizes before they allocate and stop at the deadline. Budgeted functions can
only be called, never passed around as values.

Regular expressions use the ``regex`` package (Python's ``re`` syntax) for its
per-call timeout: a pattern that backtracks catastrophically is stopped at the
evaluation's deadline instead of running for hours.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import re

from runtime.spec.expressions.guards import Budget, SandboxLimit, charge, check_size
from runtime.spec.expressions.limits import (
    MAX_ROUND_DIGITS,
    MAX_TIME_FORMAT_LENGTH,
    REGEX_ATTEMPTS,
    REGEX_MIN_TIMEOUT_S,
)
from runtime.spec.expressions.patterns import compile_pattern
from runtime.spec.udf import registered_functions

__all__ = ["FUNCTIONS", "Function", "function_reference"]

_SIZED = (str, bytes, bytearray, list, tuple, dict, set, frozenset, range)


@dataclass(frozen=True)
class Function:
    name: str
    impl: Callable[..., Any]
    signature: str
    description: str
    budgeted: bool = False
    # Index of an argument that must be a literal regular expression, checked when
    # the expression is compiled.
    pattern_arg: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "signature": self.signature, "description": self.description}


def _precheck(iterable: Any) -> Any:
    if isinstance(iterable, _SIZED):
        check_size(len(iterable))
    return iterable


# --- numbers ----------------------------------------------------------------------------

def _round(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is None:
        return round(number)
    if isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise SandboxLimit(f"round() accepts at most {MAX_ROUND_DIGITS} digits")
    return round(number, ndigits)


def _sum(iterable: Iterable[Any], start: Any = 0) -> Any:
    # sum(lists, []) concatenates in quadratic time; numbers only.
    if not isinstance(start, (int, float)):
        raise TypeError("sum() adds numbers; its start must be a number")
    return sum(iterable, start)


def _coalesce(*values: Any) -> Any:
    for v in values:
        if v is not None:
            return v
    return None


# --- constructors and collections (budgeted) ------------------------------------------

def _str(b: Budget, value: Any = "") -> str:
    return charge(b, str(value))  # type: ignore[no-any-return]


def _list(b: Budget, iterable: Iterable[Any] = ()) -> list[Any]:
    return charge(b, list(_precheck(iterable)))  # type: ignore[no-any-return]


def _tuple(b: Budget, iterable: Iterable[Any] = ()) -> tuple[Any, ...]:
    return charge(b, tuple(_precheck(iterable)))  # type: ignore[no-any-return]


def _set(b: Budget, iterable: Iterable[Any] = ()) -> set[Any]:
    return charge(b, set(_precheck(iterable)))  # type: ignore[no-any-return]


def _dict(b: Budget, iterable: Any = (), **kwargs: Any) -> dict[Any, Any]:
    return charge(b, dict(_precheck(iterable), **kwargs))  # type: ignore[no-any-return]


def _sorted(b: Budget, iterable: Iterable[Any], *, key: Any = None, reverse: bool = False) -> list[Any]:
    return charge(b, sorted(_precheck(iterable), key=key, reverse=reverse))  # type: ignore[no-any-return]


def _reversed(b: Budget, sequence: Any) -> list[Any]:
    return charge(b, list(reversed(_precheck(sequence))))  # type: ignore[no-any-return]


def _range(b: Budget, *args: int) -> range:
    r = range(*args)
    try:
        n = len(r)
    except OverflowError:
        raise SandboxLimit("range() is far larger than the size limit") from None
    # Built-ins such as sum() loop over a range in C, out of the step counter's reach.
    check_size(n, "range")
    return r


def _zip(b: Budget, *iterables: Iterable[Any]) -> list[tuple[Any, ...]]:
    return charge(b, list(zip(*map(_precheck, iterables))))  # type: ignore[no-any-return]


def _enumerate(b: Budget, iterable: Iterable[Any], start: int = 0) -> list[tuple[int, Any]]:
    return charge(b, list(enumerate(_precheck(iterable), start)))  # type: ignore[no-any-return]


# --- regular expressions (budgeted) ------------------------------------------------------

def _text(name: str, text: Any) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name}() expects text (a str), not {type(text).__name__}")
    return text


def _run_regex(b: Budget, call: Callable[[float], Any]) -> Any:
    # The regex package's timeout counts the whole process's CPU time, so a busy Kafka
    # client thread can end a healthy match early. The budget counts this thread's
    # alone: a timeout with budget left is that, and the match runs again.
    for _ in range(REGEX_ATTEMPTS):
        try:
            return call(max(b.remaining_seconds(), REGEX_MIN_TIMEOUT_S))
        except TimeoutError:
            if b.seconds_left() <= 0:
                break
    raise SandboxLimit("a regular expression took too long (it may backtrack catastrophically)")


def _re_split(b: Budget, pattern: str, text: Any, maxsplit: int = 0) -> list[str]:
    p, s = compile_pattern(pattern), _text("re_split", text)
    return charge(b, _run_regex(b, lambda t: p.split(s, maxsplit=maxsplit, timeout=t)))  # type: ignore[no-any-return]


def _groups(match: Any) -> list[Any] | None:
    return None if match is None else [match.group(0), *match.groups()]


def _re_match(b: Budget, pattern: str, text: Any) -> list[Any] | None:
    p, s = compile_pattern(pattern), _text("re_match", text)
    return _groups(_run_regex(b, lambda t: p.match(s, timeout=t)))


def _re_search(b: Budget, pattern: str, text: Any) -> list[Any] | None:
    p, s = compile_pattern(pattern), _text("re_search", text)
    return _groups(_run_regex(b, lambda t: p.search(s, timeout=t)))


def _re_findall(b: Budget, pattern: str, text: Any) -> list[Any]:
    p, s = compile_pattern(pattern), _text("re_findall", text)
    return charge(b, _run_regex(b, lambda t: p.findall(s, timeout=t)))  # type: ignore[no-any-return]


def _re_sub(b: Budget, pattern: str, replacement: Any, text: Any, count: int = 0) -> str:
    p, s = compile_pattern(pattern), _text("re_sub", text)
    repl = _text("re_sub", replacement)
    size = len(s)

    def expand(match: Any) -> str:
        nonlocal size
        out: str = match.expand(repl) if "\\" in repl else repl
        size += len(out) - (match.end() - match.start())
        check_size(size, "string")
        return out

    return charge(b, _run_regex(b, lambda t: p.sub(expand, s, count=count, timeout=t)))  # type: ignore[no-any-return]


# --- JSON --------------------------------------------------------------------------------

_MISSING = object()


def _json_get(obj: Any, path: Any, default: Any = None) -> Any:
    """Dotted-path access: json_get(value, "user.address.0.city", "n/a")."""
    if not isinstance(path, str):
        raise TypeError(f"json_get() expects a dotted path (a str), not {type(path).__name__}")
    current = obj
    for part in path.split(".") if path else ():
        if isinstance(current, dict):
            current = current.get(part, _MISSING)
        elif isinstance(current, (list, tuple)) and part.lstrip("-").isdigit():
            index = int(part)
            current = current[index] if -len(current) <= index < len(current) else _MISSING
        else:
            current = _MISSING
        if current is _MISSING:
            return default
    return current


def _to_json(b: Budget, value: Any) -> str:
    return charge(b, json.dumps(value, separators=(",", ":"), ensure_ascii=False))  # type: ignore[no-any-return]


def _from_json(b: Budget, text: Any) -> Any:
    if not isinstance(text, (str, bytes, bytearray)):
        raise TypeError(f"from_json() expects text, not {type(text).__name__}")
    charge(b, text)
    return json.loads(text)


# --- dates (UTC, epoch milliseconds) ---------------------------------------------------------

_TIME_FORMAT = re.compile(r"(?:[^%]|%[aAbBcdfGHIjmMpSuUVwWyYzZ%])*")


def _time_format(fmt: Any) -> str:
    # No field widths or flags ("%999999999Y" pads in the C library).
    if not isinstance(fmt, str) or len(fmt) > MAX_TIME_FORMAT_LENGTH or not _TIME_FORMAT.fullmatch(fmt):
        raise ValueError(
            f"time format must be at most {MAX_TIME_FORMAT_LENGTH} characters of text and "
            "plain % directives such as %Y-%m-%d %H:%M:%S"
        )
    return fmt


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_ONE_MS = _dt.timedelta(milliseconds=1)


def _utc(ms: Any) -> _dt.datetime:
    return _EPOCH + _dt.timedelta(milliseconds=ms)


def _to_ms(moment: _dt.datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return (moment - _EPOCH) // _ONE_MS


def _to_iso(ms: Any) -> str:
    return _utc(ms).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _from_iso(text: Any) -> int:
    return _to_ms(_dt.datetime.fromisoformat(_text("from_iso", text)))


def _format_ts(ms: Any, fmt: Any = "%Y-%m-%dT%H:%M:%S") -> str:
    return _utc(ms).strftime(_time_format(fmt))


def _parse_ts(text: Any, fmt: Any = "%Y-%m-%dT%H:%M:%S") -> int:
    return _to_ms(_dt.datetime.strptime(_text("parse_ts", text), _time_format(fmt)))


def _ts_floor(ms: int, size_ms: int) -> int:
    return ms - ms % size_ms


_DATE_PARTS: dict[str, Callable[[_dt.datetime], int]] = {
    "year": lambda d: d.year,
    "month": lambda d: d.month,
    "day": lambda d: d.day,
    "hour": lambda d: d.hour,
    "minute": lambda d: d.minute,
    "second": lambda d: d.second,
    "millisecond": lambda d: d.microsecond // 1000,
    "weekday": lambda d: d.isoweekday(),
    "day_of_year": lambda d: d.timetuple().tm_yday,
}


def _date_part(ms: Any, part: Any) -> int:
    try:
        getter = _DATE_PARTS[part]
    except (KeyError, TypeError):
        raise ValueError(f"date_part() knows {', '.join(_DATE_PARTS)}; not {part!r}") from None
    return getter(_utc(ms))


# --- the registry ------------------------------------------------------------------------------

def _f(name: str, impl: Callable[..., Any], signature: str, description: str, **kw: Any) -> Function:
    return Function(name, impl, signature, description, **kw)


_ALL = [
    # numbers and conversions
    _f("len", len, "len(x)", "number of items or characters"),
    _f("abs", abs, "abs(x)", "absolute value"),
    _f("bool", bool, "bool(x)", "truth value"),
    _f("int", int, "int(x, base=10)", "integer from a number or text"),
    _f("float", float, "float(x)", "floating-point number from a number or text"),
    _f("round", _round, "round(x, ndigits=None)", "rounded number"),
    _f("min", min, "min(items) / min(a, b, ...)", "smallest item"),
    _f("max", max, "max(items) / max(a, b, ...)", "largest item"),
    _f("sum", _sum, "sum(numbers, start=0)", "sum of numbers"),
    _f("any", any, "any(items)", "true if any item is true"),
    _f("all", all, "all(items)", "true if every item is true"),
    _f("floor", math.floor, "floor(x)", "largest integer <= x"),
    _f("ceil", math.ceil, "ceil(x)", "smallest integer >= x"),
    _f("sqrt", math.sqrt, "sqrt(x)", "square root"),
    _f("log", math.log, "log(x, base=e)", "logarithm"),
    _f("exp", math.exp, "exp(x)", "e to the power x"),
    _f("coalesce", _coalesce, "coalesce(a, b, ...)", "the first argument that is not None"),
    # constructors and collections
    _f("str", _str, "str(x)", "text of a value", budgeted=True),
    _f("list", _list, "list(items)", "a list", budgeted=True),
    _f("tuple", _tuple, "tuple(items)", "a tuple", budgeted=True),
    _f("set", _set, "set(items)", "a set", budgeted=True),
    _f("dict", _dict, "dict(pairs, **fields)", "a dict", budgeted=True),
    _f("sorted", _sorted, "sorted(items, key=None, reverse=False)", "a sorted list", budgeted=True),
    _f("reversed", _reversed, "reversed(items)", "a list in reverse order", budgeted=True),
    _f("range", _range, "range(stop) / range(start, stop, step=1)", "a range of integers", budgeted=True),
    _f("zip", _zip, "zip(a, b, ...)", "a list of tuples, one item of each", budgeted=True),
    _f("enumerate", _enumerate, "enumerate(items, start=0)", "a list of (index, item)", budgeted=True),
    # regular expressions: Python's re syntax; the pattern must be a literal string
    _f("re_split", _re_split, "re_split(pattern, text, maxsplit=0)",
       "text split at each match", budgeted=True, pattern_arg=0),
    _f("re_match", _re_match, "re_match(pattern, text)",
       "[whole match, group 1, ...] if the text starts with a match, else None", budgeted=True, pattern_arg=0),
    _f("re_search", _re_search, "re_search(pattern, text)",
       "[whole match, group 1, ...] of the first match anywhere, else None", budgeted=True, pattern_arg=0),
    _f("re_findall", _re_findall, "re_findall(pattern, text)",
       "every match (or group) as a list", budgeted=True, pattern_arg=0),
    _f("re_sub", _re_sub, "re_sub(pattern, replacement, text, count=0)",
       "text with matches replaced (\\1 refers to a group)", budgeted=True, pattern_arg=0),
    # JSON
    _f("json_get", _json_get, "json_get(obj, 'a.b.0.c', default=None)",
       "a nested field by dotted path, or the default if any part is missing"),
    _f("to_json", _to_json, "to_json(x)", "compact JSON text of a value", budgeted=True),
    _f("from_json", _from_json, "from_json(text)", "the value of a JSON text", budgeted=True),
    # dates: UTC, epoch milliseconds
    _f("to_iso", _to_iso, "to_iso(ms)", "ISO-8601 UTC text of a timestamp"),
    _f("from_iso", _from_iso, "from_iso(text)", "timestamp (ms) of an ISO-8601 text (UTC if no zone)"),
    _f("format_ts", _format_ts, "format_ts(ms, fmt='%Y-%m-%dT%H:%M:%S')", "timestamp formatted with strftime directives"),
    _f("parse_ts", _parse_ts, "parse_ts(text, fmt='%Y-%m-%dT%H:%M:%S')", "timestamp (ms) parsed with strptime directives"),
    _f("ts_floor", _ts_floor, "ts_floor(ms, size_ms)", "timestamp rounded down to a multiple of size_ms"),
    _f("date_part", _date_part, "date_part(ms, part)",
       "year, month, day, hour, minute, second, millisecond, weekday (1 = Monday) or day_of_year"),
]

FUNCTIONS: dict[str, Function] = {f.name: f for f in _ALL}


def function_reference() -> list[dict[str, object]]:
    """The functions expressions may call, for editors and help pages: the built-ins,
    then the user-defined ones (marked ``"user_defined": True``)."""
    return [f.to_dict() for f in _ALL] + registered_functions()
