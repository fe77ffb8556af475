"""Topology optimization (Kafka Streams' ``topology.optimization``), applied to the
logical graph before it is written (InternalStreamsBuilder#optimizeTopology).

- ``reuse.ktable.source.topics``: a table read from a topic keeps no
  ``<store>-changelog`` topic; its store is restored from the source topic itself.
- ``merge.repartition.topics``: the repartition topics that follow one key-changing
  operation (several groupings or joins of one re-keyed stream) become a single topic,
  named after the first, written right after the key change.
- ``single.store.self.join`` is not implemented: ``all`` leaves self-joins as they are,
  asking for it alone raises.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.config import TOPOLOGY_OPTIMIZATION
from runtime.dsl.internals.builder import InternalStreamsBuilder
from runtime.dsl.internals.graph import GraphNode, OptimizableRepartitionNode, TableSourceNode
from runtime.dsl.internals.repartition import create_repartition_node

__all__ = [
    "MERGE_REPARTITION_TOPICS",
    "OPTIMIZATION_CONFIG",
    "REUSE_KTABLE_SOURCE_TOPICS",
    "SINGLE_STORE_SELF_JOIN",
    "optimize",
    "optimizations_from",
]

OPTIMIZATION_CONFIG = TOPOLOGY_OPTIMIZATION
OPTIMIZE_ALL = "all"
NO_OPTIMIZATION = "none"
REUSE_KTABLE_SOURCE_TOPICS = "reuse.ktable.source.topics"
MERGE_REPARTITION_TOPICS = "merge.repartition.topics"
SINGLE_STORE_SELF_JOIN = "single.store.self.join"
_KNOWN = (OPTIMIZE_ALL, NO_OPTIMIZATION, REUSE_KTABLE_SOURCE_TOPICS, MERGE_REPARTITION_TOPICS,
          SINGLE_STORE_SELF_JOIN)
_ERROR = ("Acceptable values are: \"none\", \"all\", or a comma-separated list of "
          "\"reuse.ktable.source.topics\", \"merge.repartition.topics\", "
          "\"single.store.self.join\"")


def optimizations_from(value: Any) -> frozenset[str]:
    """The optimizations a ``topology.optimization`` value asks for
    (StreamsConfig#verifyTopologyOptimizationConfigs)."""
    if value is None:
        return frozenset()
    configs = [c.strip() for c in str(value).split(",")]
    if (OPTIMIZE_ALL in configs or NO_OPTIMIZATION in configs) and len(configs) > 1:
        raise ValueError(f"\"{value}\" is not a valid optimization config. {_ERROR}")
    for config in configs:
        if config not in _KNOWN:
            raise ValueError(f"Unrecognized config. {_ERROR}")
    if OPTIMIZE_ALL in configs:
        return frozenset({REUSE_KTABLE_SOURCE_TOPICS, MERGE_REPARTITION_TOPICS})
    if SINGLE_STORE_SELF_JOIN in configs:
        raise NotImplementedError("the single.store.self.join optimization is not supported")
    return frozenset(configs) - {NO_OPTIMIZATION}


def optimize(builder: InternalStreamsBuilder, optimizations: frozenset[str]) -> None:
    if not optimizations:
        return
    nodes = _nodes_by_priority(builder.root)
    if REUSE_KTABLE_SOURCE_TOPICS in optimizations:
        for node in nodes:
            if isinstance(node, TableSourceNode):
                node.reuse_source_topic = True
    if MERGE_REPARTITION_TOPICS in optimizations:
        _merge_repartition_topics(builder, nodes)


def _nodes_by_priority(root: GraphNode) -> list[GraphNode]:
    """Every node of the graph in the order it was added (build priority)."""
    seen: dict[int, GraphNode] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen[id(node)] = node
        stack.extend(node.children)
    return sorted(seen.values(), key=lambda n: n.build_priority if n is not root else -1)


def _find_parent(start: GraphNode, matches: Callable[[GraphNode], bool]) -> GraphNode | None:
    """Kafka's findParentNodeMatching: ``start`` itself, else a matching parent, else
    what the search up the last parent found."""
    if matches(start):
        return start
    found = None
    for parent in start.parents:
        if matches(parent):
            return parent
        found = _find_parent(parent, matches)
    return found


def _is_optimizable(node: GraphNode) -> bool:
    # KStream.repartition() writes a topic the user asked for: never merged.
    return isinstance(node, OptimizableRepartitionNode) and getattr(node, "optimizable", True)


def _key_changing_parent(node: GraphNode) -> GraphNode | None:
    """The key change a repartition node follows, unless a value change came after it."""
    changing = _find_parent(node, lambda n: n.key_changing or n.value_changing)
    key_changing = _find_parent(node, lambda n: n.key_changing)
    return key_changing if changing is not None and changing is key_changing else None


def _repartitions_by_key_changer(nodes: list[GraphNode]
                                 ) -> tuple[dict[GraphNode, list[OptimizableRepartitionNode]],
                                            list[GraphNode]]:
    """Kafka's keyChangingOperationsToOptimizableRepartitionNodes and mergeNodes, as
    they stand once every node was added."""
    by_changer: dict[GraphNode, list[OptimizableRepartitionNode]] = {}
    merges: list[GraphNode] = []
    for node in nodes:
        if node.key_changing:
            by_changer[node] = []
        elif _is_optimizable(node):
            parent = _key_changing_parent(node)
            if parent is not None and parent in by_changer:
                assert isinstance(node, OptimizableRepartitionNode)
                by_changer[parent].append(node)
        elif node.merge_node:
            merges.append(node)
    # A merge of re-keyed streams repartitions once, after the merge
    # (maybeUpdateKeyChangingRepartitionNodeMap).
    merge_changers: dict[GraphNode, list[GraphNode]] = {}
    for merge in merges:
        merge_changers[merge] = []
        for changer, repartitions in by_changer.items():
            below_merge = all(_find_parent(r, lambda n, m=merge: m in n.parents) is not None
                              for r in repartitions)
            if below_merge and _find_parent(
                    merge, lambda n, c=changer: c in n.parents) is not None:
                merge_changers[merge].append(changer)
    absorbed: list[GraphNode] = []
    for merge, changers in merge_changers.items():
        merged: list[OptimizableRepartitionNode] = []
        for changer in changers:
            merged.extend(r for r in by_changer[changer] if r not in merged)
            absorbed.append(changer)
        by_changer[merge] = merged
    for changer in absorbed:
        by_changer.pop(changer, None)
    return by_changer, merges


def _merge_repartition_topics(builder: InternalStreamsBuilder, nodes: list[GraphNode]) -> None:
    by_changer, _ = _repartitions_by_key_changer(nodes)
    for changer, repartitions in by_changer.items():
        if not repartitions:
            continue
        key_serde = next((r.key_serde for r in repartitions if r.key_serde is not None), None)
        value_serde = next((r.value_serde for r in repartitions if r.value_serde is not None),
                           None)
        # The first topic's name is kept (generated or the user's).
        single = create_repartition_node(builder, key_serde, value_serde,
                                         repartitions[0].topic)
        single.build_priority = changer.build_priority
        for repartition in repartitions:
            child = _find_parent(repartition, lambda n: changer in n.parents)
            if child is None:
                raise RuntimeError(f"found no child of {changer} above {repartition}")
            single.add_child(child)
            _unlink(changer, child)
            for below in list(repartition.children):
                for parent in repartition.parents:
                    parent.add_child(below)
            for parent in list(repartition.parents):
                _unlink(parent, repartition)
            for below in list(repartition.children):
                _unlink(repartition, below)
            builder.replace_copartition_source(repartition.source_name, single.source_name)
        changer.add_child(single)


def _unlink(parent: GraphNode, child: GraphNode) -> None:
    if child in parent.children:
        parent.remove_child(child)
