"""``Change``: what flows between KTable operators, the new value and (maybe) the old."""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["Change"]


class Change(NamedTuple):
    new_value: Any
    old_value: Any = None
