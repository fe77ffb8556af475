"""Java's ``TreeSet`` (a red-black ``TreeMap``), insertion for insertion.

Kafka Streams orders a node's successors and predecessors in TreeSets whose
comparator reads node sizes that keep changing while the description is assembled.
The printed order therefore depends on the exact tree shape, so it is reproduced
here rather than approximated with a sort.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["JavaTreeSet"]

T = TypeVar("T")
_RED, _BLACK = False, True


class _Entry(Generic[T]):
    __slots__ = ("key", "left", "right", "parent", "color")

    def __init__(self, key: T, parent: _Entry[T] | None) -> None:
        self.key = key
        self.left: _Entry[T] | None = None
        self.right: _Entry[T] | None = None
        self.parent = parent
        self.color = _BLACK


class JavaTreeSet(Generic[T]):
    def __init__(self, compare: Callable[[T, T], int]) -> None:
        self._compare = compare
        self._root: _Entry[T] | None = None

    def add(self, key: T) -> bool:
        t = self._root
        if t is None:
            self._root = _Entry(key, None)
            return True
        parent = t
        cmp = 0
        while t is not None:
            parent = t
            cmp = self._compare(key, t.key)
            if cmp < 0:
                t = t.left
            elif cmp > 0:
                t = t.right
            else:
                return False
        entry = _Entry(key, parent)
        if cmp < 0:
            parent.left = entry
        else:
            parent.right = entry
        self._fix_after_insertion(entry)
        return True

    def __iter__(self):  # type: ignore[no-untyped-def]
        out: list[T] = []
        stack: list[_Entry[T]] = []
        node = self._root
        while stack or node is not None:
            while node is not None:
                stack.append(node)
                node = node.left
            node = stack.pop()
            out.append(node.key)
            node = node.right
        return iter(out)

    # -- red-black balancing, as java.util.TreeMap ------------------------------------
    @staticmethod
    def _color(p: _Entry[T] | None) -> bool:
        return _BLACK if p is None else p.color

    @staticmethod
    def _parent(p: _Entry[T] | None) -> _Entry[T] | None:
        return None if p is None else p.parent

    @staticmethod
    def _set_color(p: _Entry[T] | None, c: bool) -> None:
        if p is not None:
            p.color = c

    @staticmethod
    def _left(p: _Entry[T] | None) -> _Entry[T] | None:
        return None if p is None else p.left

    @staticmethod
    def _right(p: _Entry[T] | None) -> _Entry[T] | None:
        return None if p is None else p.right

    def _rotate_left(self, p: _Entry[T] | None) -> None:
        if p is None:
            return
        r = p.right
        assert r is not None
        p.right = r.left
        if r.left is not None:
            r.left.parent = p
        r.parent = p.parent
        if p.parent is None:
            self._root = r
        elif p.parent.left is p:
            p.parent.left = r
        else:
            p.parent.right = r
        r.left = p
        p.parent = r

    def _rotate_right(self, p: _Entry[T] | None) -> None:
        if p is None:
            return
        left = p.left
        assert left is not None
        p.left = left.right
        if left.right is not None:
            left.right.parent = p
        left.parent = p.parent
        if p.parent is None:
            self._root = left
        elif p.parent.right is p:
            p.parent.right = left
        else:
            p.parent.left = left
        left.right = p
        p.parent = left

    def _fix_after_insertion(self, x: _Entry[T] | None) -> None:
        assert x is not None
        x.color = _RED
        par, left, right, color, set_color = (self._parent, self._left, self._right,
                                               self._color, self._set_color)
        while x is not None and x is not self._root and x.parent is not None \
                and x.parent.color == _RED:
            if par(x) is left(par(par(x))):
                y = right(par(par(x)))
                if color(y) == _RED:
                    set_color(par(x), _BLACK)
                    set_color(y, _BLACK)
                    set_color(par(par(x)), _RED)
                    x = par(par(x))
                else:
                    if x is right(par(x)):
                        x = par(x)
                        self._rotate_left(x)
                    set_color(par(x), _BLACK)
                    set_color(par(par(x)), _RED)
                    self._rotate_right(par(par(x)))
            else:
                y = left(par(par(x)))
                if color(y) == _RED:
                    set_color(par(x), _BLACK)
                    set_color(y, _BLACK)
                    set_color(par(par(x)), _RED)
                    x = par(par(x))
                else:
                    if x is left(par(x)):
                        x = par(x)
                        self._rotate_right(x)
                    set_color(par(x), _BLACK)
                    set_color(par(par(x)), _RED)
                    self._rotate_left(par(par(x)))
        assert self._root is not None
        self._root.color = _BLACK
