"""Run-time guards that compiled expressions call instead of Python's own operators.

The checker allows only safe syntax; these guards bound what that syntax can do at
run time. Each evaluation that needs them gets a fresh :class:`Budget`; operators
that can make large values from small ones (``*``, ``**``, ``<<``, ``+``) check the
size of their result *before* making it, and everything that copies is charged to
the budget afterwards. Method calls and attribute reads are resolved against an
allow-list keyed by the receiver's type, so ``.join`` means ``str.join`` and nothing
else, whatever object an expression holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from runtime.spec.expressions.limits import (
    MAX_ALLOCATION,
    MAX_EVALUATION_SECONDS,
    MAX_INT_BITS,
    MAX_SIZE,
    MAX_STEPS,
)

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "DATA_ATTRIBUTES",
    "GUARDS",
    "Budget",
    "SandboxLimit",
    "charge",
]

# The evaluating thread's CPU time: time the thread waited for a core or for the GIL
# (a loaded worker, its Kafka client's threads) is not the expression's doing, and a
# wall-clock budget failed healthy expressions under load.
_thread_time = time.thread_time
_SIZED = (str, bytes, bytearray, list, tuple, dict, set, frozenset)
_SEQUENCES = (str, bytes, bytearray, list, tuple)
_INTS = (int, bool)


class SandboxLimit(Exception):
    """A guard refused to go on; compiled expressions re-raise it as ExpressionLimitError."""


class Budget:
    """What one evaluation may still spend: loop steps, allocated items, CPU time of
    the evaluating thread.

    The clock starts at the first look at it (the 64th loop step or the first regular
    expression), not when the evaluation starts: most evaluations never look, and
    reading a thread's CPU clock costs a system call. What runs before that first look
    is at most 64 loop steps, each bounded by the size guards.
    """

    __slots__ = ("allocation", "deadline", "steps")

    def __init__(self) -> None:
        self.steps = MAX_STEPS
        self.allocation = MAX_ALLOCATION
        self.deadline: float | None = None

    def seconds_left(self) -> float:
        """CPU seconds left; 0 or less once spent."""
        now = _thread_time()
        if self.deadline is None:
            self.deadline = now + MAX_EVALUATION_SECONDS
        return self.deadline - now

    def remaining_seconds(self) -> float:
        left = self.seconds_left()
        if left <= 0:
            raise SandboxLimit(f"the evaluation took more than {MAX_EVALUATION_SECONDS:g} s of CPU time")
        return left


def charge(budget: Budget, value: Any) -> Any:
    """Count a freshly made value against the evaluation's allocation budget."""
    if isinstance(value, _SIZED):
        budget.allocation -= len(value)
        if budget.allocation < 0:
            raise SandboxLimit(
                f"the evaluation made more than {MAX_ALLOCATION:,} items or characters"
            )
    return value


def check_size(n: int, what: str = "value") -> None:
    if n > MAX_SIZE:
        raise SandboxLimit(f"a {what} of {n:,} items or characters is larger than the limit of {MAX_SIZE:,}")


def _check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise SandboxLimit(f"an integer of about {bits:,} bits is larger than the limit of {MAX_INT_BITS:,}")


# --- operators -----------------------------------------------------------------------

def guarded_add(budget: Budget, x: Any, y: Any) -> Any:
    if isinstance(x, _SEQUENCES) and isinstance(y, _SEQUENCES):
        n = len(x) + len(y)
        check_size(n)
        return charge(budget, x + y)
    return x + y


def _repeat(budget: Budget, seq: Any, times: int) -> Any:
    check_size(len(seq) * max(times, 0))
    return charge(budget, seq * times)


def guarded_mul(budget: Budget, x: Any, y: Any) -> Any:
    if isinstance(x, _INTS) and isinstance(y, _INTS):
        if x and y:
            _check_bits(x.bit_length() + y.bit_length())
        return x * y
    if isinstance(x, _SEQUENCES) and isinstance(y, _INTS):
        return _repeat(budget, x, y)
    if isinstance(y, _SEQUENCES) and isinstance(x, _INTS):
        return _repeat(budget, y, x)
    return x * y


def guarded_pow(budget: Budget, x: Any, y: Any) -> Any:
    if isinstance(x, _INTS) and isinstance(y, _INTS) and y > 1 and x not in (0, 1, -1):
        _check_bits(x.bit_length() * y)
    return x**y


def guarded_lshift(budget: Budget, x: Any, y: Any) -> Any:
    if isinstance(x, _INTS) and isinstance(y, _INTS) and x and y > 0:
        _check_bits(x.bit_length() + y)
    return x << y


def guarded_mod(budget: Budget, x: Any, y: Any) -> Any:
    if isinstance(x, (str, bytes, bytearray)):
        # printf-style widths ("%999999999d") would bypass the size limits.
        raise SandboxLimit("%-formatting of strings is not allowed; use an f-string")
    return x % y


def guarded_slice(budget: Budget, obj: Any, lower: Any, upper: Any, step: Any) -> Any:
    return charge(budget, obj[lower:upper:step])


def guarded_iter(budget: Budget, iterable: Iterable[Any]) -> Iterator[Any]:
    """Iterate for a comprehension, counting steps and watching the clock."""
    for item in iterable:
        left = budget.steps = budget.steps - 1
        if not left & 0x3F:
            if left < 0:
                raise SandboxLimit(f"the evaluation took more than {MAX_STEPS:,} loop steps")
            budget.remaining_seconds()
        yield item


# --- results by kind ------------------------------------------------------------------

def as_list(budget: Budget, result: Any) -> list[Any]:
    if result is None or isinstance(result, (str, bytes, bytearray, dict)):
        raise TypeError(
            f"the expression must give a list of items, not {type(result).__name__}"
        )
    if isinstance(result, _SIZED):
        check_size(len(result), "list")
    items = list(result)
    return charge(budget, items)  # type: ignore[no-any-return]


def as_pair(result: Any) -> tuple[Any, Any]:
    if isinstance(result, (tuple, list)) and len(result) == 2:
        return (result[0], result[1])
    raise TypeError(
        f"the expression must give a (key, value) tuple, not {type(result).__name__}"
        + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
    )


def as_pairs(budget: Budget, result: Any) -> list[tuple[Any, Any]]:
    return [as_pair(item) for item in as_list(budget, result)]


# --- methods and attributes -----------------------------------------------------------

def _padding(method: Callable[..., Any]) -> Callable[..., Any]:
    def padded(s: Any, width: Any, *args: Any) -> Any:
        if isinstance(width, _INTS):
            check_size(width, "string")
        return method(s, width, *args)
    return padded


def _str_join(sep: Any, iterable: Iterable[Any]) -> Any:
    items = iterable if isinstance(iterable, (list, tuple)) else list(iterable)
    if all(isinstance(item, type(sep)) for item in items):
        check_size(sum(map(len, items)) + len(sep) * max(len(items) - 1, 0), "string")
    return sep.join(items)


def _str_replace(s: Any, old: Any, new: Any, count: int = -1) -> Any:
    if isinstance(old, type(s)) and isinstance(new, type(s)):
        found = s.count(old) if old else len(s) + 1
        if isinstance(count, int) and count >= 0:
            found = min(found, count)
        check_size(len(s) + found * (len(new) - len(old)), "string")
    return s.replace(old, new, count)


_STR_METHODS: dict[str, Callable[..., Any]] = {
    name: getattr(str, name)
    for name in (
        "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha",
        "isascii", "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle",
        "isupper", "lower", "lstrip", "partition", "removeprefix", "removesuffix", "rfind",
        "rindex", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith",
        "strip", "swapcase", "title", "upper", "encode",
    )
}
_STR_METHODS.update(
    join=_str_join,
    replace=_str_replace,
    center=_padding(str.center),
    ljust=_padding(str.ljust),
    rjust=_padding(str.rjust),
    zfill=_padding(str.zfill),
)

_BYTES_METHODS: dict[str, Callable[..., Any]] = {
    name: getattr(bytes, name)
    for name in ("count", "decode", "endswith", "find", "hex", "startswith", "split", "strip")
}
_BYTES_METHODS.update(join=_str_join, replace=_str_replace)

_SET_METHODS = (
    "copy", "difference", "intersection", "isdisjoint", "issubset", "issuperset",
    "symmetric_difference", "union",
)

# Receiver type -> allowed methods. Only methods that do not mutate their receiver:
# records may be shared with other branches of the topology.
_METHODS: dict[type, dict[str, Callable[..., Any]]] = {
    str: _STR_METHODS,
    bytes: _BYTES_METHODS,
    list: {name: getattr(list, name) for name in ("copy", "count", "index")},
    tuple: {name: getattr(tuple, name) for name in ("count", "index")},
    dict: {name: getattr(dict, name) for name in ("copy", "get", "items", "keys", "values")},
    set: {name: getattr(set, name) for name in _SET_METHODS},
    frozenset: {name: getattr(frozenset, name) for name in _SET_METHODS},
    int: {"bit_length": int.bit_length},
    bool: {"bit_length": int.bit_length},
    float: {"is_integer": float.is_integer},
}

# Plain data attributes of runtime values that expressions see (Windowed keys).
DATA_ATTRIBUTES = frozenset({"key", "window", "start", "end"})

ALLOWED_ATTRIBUTES = frozenset(
    name for table in _METHODS.values() for name in table
) | DATA_ATTRIBUTES


def _method_table(obj: Any) -> dict[str, Callable[..., Any]] | None:
    table = _METHODS.get(type(obj))
    if table is None:
        # A subclass of an allowed type gets the base type's methods, never its own.
        for base, candidate in _METHODS.items():
            if isinstance(obj, base):
                return candidate
    return table


def guarded_method(budget: Budget, obj: Any, name: str, /, *args: Any, **kwargs: Any) -> Any:
    table = _method_table(obj)
    method = table.get(name) if table is not None else None
    if method is None:
        raise SandboxLimit(f"{type(obj).__name__} has no allowed method {name!r}")
    return charge(budget, method(obj, *args, **kwargs))


def guarded_attribute(obj: Any, name: str) -> Any:
    if name in DATA_ATTRIBUTES and type(obj).__module__.partition(".")[0] == "runtime":
        return getattr(obj, name)
    raise SandboxLimit(f"{type(obj).__name__} has no readable attribute {name!r}")


# Names under which compiled expressions find the guards. They start with "_", which
# the checker never lets an expression write, so user code cannot reach them.
GUARDS: dict[str, Any] = {
    "_add": guarded_add,
    "_mul": guarded_mul,
    "_pow": guarded_pow,
    "_lshift": guarded_lshift,
    "_mod": guarded_mod,
    "_slice": guarded_slice,
    "_iter": guarded_iter,
    "_method": guarded_method,
    "_attr": guarded_attribute,
    "_charge": charge,
    "_as_list": as_list,
    "_as_pair": as_pair,
    "_as_pairs": as_pairs,
    "_Budget": Budget,
}
