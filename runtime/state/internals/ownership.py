"""Proving by reference counts that a value has no holder but the code checking it.

A record cache that holds values typed must behave as if it held bytes: nobody outside
may mutate what it keeps, nor see it mutated. Copying every written value guarantees
that; so does proving that nobody else can reach the value, which lets the cache keep a
fresh aggregate as it is (see TimestampedValues' ``adopt`` in ``metered.py``).

In CPython every strong reference counts: a list, dict, closure cell, attribute, global
or frame (a generator's or a traceback's included) that holds an object adds one to
``sys.getrefcount``. Objects held by weak references, the other way in, are excluded by
the callers, which accept exact ``dict`` and ``ValueAndTimestamp`` only (neither can be
weakly referenced). So when the count equals what the checking code's own references
give, nothing else refers to the object. Those own counts are measured here, in
functions shaped like the callers, rather than assumed. CPython with the GIL only, up to
3.12: 3.14 may leave stack references uncounted (a holder could then hide behind a
missing count), free-threaded builds are not meant to run this, and other
implementations count differently or not at all; there ``PROVABLE`` is False and the
callers copy.
"""

from __future__ import annotations

import sys
from sys import getrefcount
from typing import Any

from runtime.state.api import ValueAndTimestamp

__all__ = ["LOCAL_REFS", "PARAM_REFS", "PROVABLE"]

PROVABLE = sys.implementation.name == "cpython" and sys.version_info < (3, 13)


def _fresh() -> Any:
    return tuple.__new__(ValueAndTimestamp, ({}, 0))


def _seen_as_param(value: Any) -> tuple[int, int]:
    inner = value[0]
    return getrefcount(value), getrefcount(inner)


def _as_param() -> tuple[int, int]:
    value = _fresh()   # the caller's one local
    return _seen_as_param(value)


def _as_local() -> tuple[int, int]:
    value = _fresh()
    inner = value[0]
    return getrefcount(value), getrefcount(inner)


# (count of the pair, count of the value inside it) for a ValueAndTimestamp that nothing
# else refers to, read inside a function that got it as a parameter from a caller
# holding it in one local variable (PARAM_REFS), or that holds it in one local variable
# itself (LOCAL_REFS); in both, the inner value is held by the pair and one local.
PARAM_REFS = _as_param() if PROVABLE else (0, 0)
LOCAL_REFS = _as_local() if PROVABLE else (0, 0)
