"""Union-find over node names: sub-topologies are its connected components."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["QuickUnion"]


class QuickUnion:
    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def add(self, item: str) -> None:
        self._parent.setdefault(item, item)

    def root(self, item: str) -> str:
        parent = self._parent
        if item not in parent:
            raise KeyError(f"unknown node {item!r}")
        while parent[item] != item:
            parent[item] = parent[parent[item]]  # path halving
            item = parent[item]
        return item

    def unite(self, item: str, others: Iterable[str]) -> None:
        self.add(item)
        for other in others:
            self.add(other)
            a, b = self.root(item), self.root(other)
            if a != b:
                self._parent[b] = a
