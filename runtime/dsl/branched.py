"""``split()``: route each record to the first branch whose predicate it satisfies."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runtime import naming
from runtime.dsl.internals.builder import InternalStreamsBuilder
from runtime.dsl.internals.graph import GraphNode, ProcessorGraphNode
from runtime.processors.branch import KStreamBranch
from runtime.processors.peek import PassThrough

if TYPE_CHECKING:
    from runtime.dsl.stream import KStream

__all__ = ["BranchedKStream"]


class BranchedKStream:
    """Built by ``stream.split(name=...)``. Each branch is named ``<split name><branch
    name>``, or ``<split name><n>`` (n from 1, 0 for the default branch), and the dict
    returned by :meth:`default_branch`/:meth:`no_default_branch` maps those names to
    the branch streams (Kafka's BranchedKStream)."""

    def __init__(self, source: KStream, builder: InternalStreamsBuilder, split_name: str | None,
                 repartition_required: bool, parent: GraphNode) -> None:
        self._source = source
        self._builder = builder
        self._repartition_required = repartition_required
        self.name = builder.name_or_generate(split_name, naming.BRANCH)
        self._supplier = KStreamBranch()
        self._node = ProcessorGraphNode(self.name, self._supplier)
        builder.add_graph_node(parent, self._node)
        self._outputs: dict[str, KStream] = {}
        self._done = False

    def branch(self, predicate: Callable[[Any, Any], Any], *, name: str | None = None,
               chain: Callable[[KStream], KStream | None] | None = None) -> BranchedKStream:
        """A branch for records where ``predicate(key, value)`` holds (and no earlier one did).

        ``chain`` receives the branch stream; what it returns is put in the result instead.
        """
        if self._done:
            raise ValueError("no branch can be added after default_branch()/no_default_branch()")
        if not callable(predicate):
            raise TypeError("predicate must be callable")
        self._supplier.predicates.append(predicate)
        self._create(name, len(self._supplier.predicates), chain)
        return self

    def default_branch(self, *, name: str | None = None,
                       chain: Callable[[KStream], KStream | None] | None = None
                       ) -> dict[str, KStream]:
        """A branch for the records no predicate accepted; returns all branches."""
        self._create(name, 0, chain)
        self._done = True
        return dict(self._outputs)

    def no_default_branch(self) -> dict[str, KStream]:
        """Records no predicate accepted are dropped; returns all branches."""
        self._done = True
        return dict(self._outputs)

    def _create(self, name: str | None, index: int,
                chain: Callable[[KStream], KStream | None] | None) -> None:
        from runtime.dsl.stream import KStream

        child = self.name + (naming.validate_name(name) if name is not None else str(index))
        self._supplier.children.append(child)
        self._builder.new_processor_name(child)  # an index is used up, as in Kafka Streams
        node = ProcessorGraphNode(child, PassThrough())
        self._builder.add_graph_node(self._node, node)
        stream = KStream(self._builder, child, self._source.key_serde, self._source.value_serde,
                         self._source.source_nodes, self._repartition_required, node)
        result: KStream | None = stream if chain is None else chain(stream)
        if result is not None:
            self._outputs[child] = result
