"""``InternalStreamsBuilder``: owns the logical graph and the name counter, and writes
the graph into an ``InternalTopologyBuilder`` (Kafka's buildAndOptimizeTopology)."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable

from runtime import naming
from runtime.dsl.internals.graph import GraphNode, RootNode, StreamSourceNode
from runtime.errors import TopologyError
from runtime.topology.internals.builder import InternalTopologyBuilder
from runtime.topology.topology import Topology

__all__ = ["InternalStreamsBuilder"]


class InternalStreamsBuilder:
    def __init__(self) -> None:
        self.root = RootNode()
        self._index = 0
        self._build_priority = 0
        self._built = False
        self._topology: Topology | None = None
        self._copartition_groups: list[frozenset[str]] = []

    def copartition(self, source_nodes: frozenset[str]) -> None:
        """These sources must have equal partition counts (their records get joined)."""
        self._copartition_groups.append(source_nodes)

    def replace_copartition_source(self, old: str, new: str) -> None:
        """A merged repartition topic took over ``old``'s place in co-partition groups."""
        self._copartition_groups = [
            (group - {old}) | {new} if old in group else group
            for group in self._copartition_groups]

    # -- names ----------------------------------------------------------------------
    def new_processor_name(self, prefix: str) -> str:
        name = naming.processor_name(prefix, self._index)
        self._index += 1
        return name

    def new_store_name(self, prefix: str) -> str:
        name = naming.store_name(prefix, self._index)
        self._index += 1
        return name

    def name_or_generate(self, name: str | None, prefix: str) -> str:
        """A user name (validated) or a generated one. A generated index is used up
        either way so that naming one node never renames the others (as Kafka does)."""
        generated = self.new_processor_name(prefix)
        return generated if name is None else naming.validate_name(name)

    # -- graph ----------------------------------------------------------------------
    def add_graph_node(self, parents: GraphNode | Iterable[GraphNode], child: GraphNode) -> None:
        if self._built:
            raise TopologyError("the topology was already built; use a new StreamsBuilder")
        parent_list = [parents] if isinstance(parents, GraphNode) else list(parents)
        if not parent_list:
            raise TopologyError("a graph node needs at least one parent")
        for parent in parent_list:
            parent.add_child(child)
        child.build_priority = self._build_priority
        self._build_priority += 1

    def _merge_duplicate_sources(self) -> None:
        by_topic: dict[str, StreamSourceNode] = {}
        by_pattern: dict[str, StreamSourceNode] = {}
        for node in list(self.root.children):
            if not isinstance(node, StreamSourceNode):
                continue
            if node.pattern is not None:
                main = by_pattern.get(node.pattern.pattern)
                if main is None:
                    by_pattern[node.pattern.pattern] = node
                else:
                    main.merge(node)
                    self.root.remove_child(node)
                continue
            for topic in node.topics or []:
                main = by_topic.get(topic)
                if main is None:
                    by_topic[topic] = node
                    continue
                if set(main.topics or []) != set(node.topics or []):
                    raise TopologyError(
                        "Two source nodes are subscribed to overlapping but not equal input "
                        f"topics: {main.name} {main.topics} and {node.name} {node.topics}")
                main.merge(node)
                self.root.remove_child(node)
                break

    def build(self, optimizations: frozenset[str] = frozenset()) -> Topology:
        """Write every node once all its parents are written, lowest build priority first,
        after applying ``optimizations`` (names from runtime.dsl.internals.optimizer)."""
        from runtime.dsl.internals.optimizer import optimize

        if self._topology is not None:
            return self._topology
        self._merge_duplicate_sources()
        optimize(self, optimizations)
        topology_builder = InternalTopologyBuilder()
        seq = itertools.count()
        queue: list[tuple[int, int, GraphNode]] = [(-1, next(seq), self.root)]
        while queue:
            _, _, node = heapq.heappop(queue)
            if not node.written and node.all_parents_written():
                node.write_to_topology(topology_builder)
                node.written = True
            for child in node.children:
                heapq.heappush(queue, (child.build_priority, next(seq), child))
        for group in self._copartition_groups:
            topology_builder.copartition_sources(sorted(group))
        self._built = True
        self._topology = Topology(topology_builder)
        return self._topology
