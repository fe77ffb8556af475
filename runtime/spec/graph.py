"""The document as a graph: edges per node and port, cycles, topological order."""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field

from runtime.spec.document import Document, Edge, Node

__all__ = ["Graph"]


@dataclass
class Graph:
    """Index of a document's nodes and of the edges between *existing* nodes."""

    doc: Document
    nodes: dict[str, Node] = field(default_factory=dict)
    incoming: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    outgoing: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, doc: Document) -> Graph:
        g = cls(doc)
        for node in doc.nodes:
            g.nodes.setdefault(node.id, node)  # duplicates are reported by validation
        for edge in doc.edges:
            if edge.source in g.nodes and edge.target in g.nodes:
                g.outgoing[edge.source].append(edge)
                g.incoming[edge.target].append(edge)
        return g

    def inputs(self, node_id: str, port: str) -> list[Edge]:
        return [e for e in self.incoming.get(node_id, ()) if e.target_port == port]

    def topological_order(self) -> tuple[list[str], list[str]]:
        """Node ids in an order where every edge goes forward, and the ids left in cycles.

        Ties keep document order, so compiling the same document always calls the DSL
        in the same order (generated names depend on it).
        """
        position = {node_id: i for i, node_id in enumerate(self.nodes)}
        remaining = {n: len({e.source for e in self.incoming.get(n, ())}) for n in self.nodes}
        ready = [(position[n], n) for n, k in remaining.items() if k == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            _, current = heapq.heappop(ready)
            order.append(current)
            for target in dict.fromkeys(e.target for e in self.outgoing.get(current, ())):
                remaining[target] -= 1
                if remaining[target] == 0:
                    heapq.heappush(ready, (position[target], target))
        done = set(order)
        in_cycles = [n for n in self.nodes if n not in done]
        return order, in_cycles

    def find_cycle(self, start: str) -> list[str]:
        """One cycle through ``start`` (ids in order, start repeated at the end), if any."""
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        seen: set[str] = set()
        while stack:
            current, path = stack.pop()
            for edge in self.outgoing.get(current, ()):
                if edge.target == start:
                    return [*path, start]
                if edge.target not in seen:
                    seen.add(edge.target)
                    stack.append((edge.target, [*path, edge.target]))
        return []
