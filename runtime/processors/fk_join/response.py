"""Left side, last step: a response is joined with the left value current now, and
dropped if that value is no longer the one the subscription was sent for (its hash
differs), since a newer subscription's response is on its way (Kafka's
``ResponseJoinProcessorSupplier``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from runtime.errors import StreamsError
from runtime.processor.api import ProcessorContext
from runtime.processor.record import Record
from runtime.processors.base import DslProcessor
from runtime.processors.fk_join.join_serdes import ForeignKeyJoinSerdes
from runtime.serdes.internals.fk_serdes import RESPONSE_VERSION

__all__ = ["ResponseJoin"]

logger = logging.getLogger(__name__)


class ResponseJoin:
    def __init__(self, left_value_getter: Any, serdes: ForeignKeyJoinSerdes,
                 joiner: Callable[[Any, Any], Any], left_join: bool) -> None:
        self.left_value_getter = left_value_getter
        self.serdes = serdes
        self.joiner = joiner
        self.left_join = left_join

    def __call__(self) -> DslProcessor:
        return _ResponseJoinProcessor(self)


class _ResponseJoinProcessor(DslProcessor):
    def __init__(self, supplier: ResponseJoin) -> None:
        self.getter = supplier.left_value_getter.get()
        self.serdes = supplier.serdes
        self.joiner = supplier.joiner
        self.left_join = supplier.left_join

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.serdes.configure(context)
        self.getter.init(context)

    def process(self, record: Record) -> None:
        key, response = record[0], record[1]
        if response.version != RESPONSE_VERSION:
            raise StreamsError(
                f"subscription response version {response.version} is not supported")
        current = self.getter.get(key)
        current_value = None if current is None else current[0]
        current_hash = None if current_value is None else self.serdes.value_hash(current_value)
        if response.original_value_hash != current_hash:
            logger.debug("dropping foreign-key join response for %r: hash mismatch", key)
            dropped = getattr(self.context, "record_dropped", None)
            if dropped is not None:
                dropped()
            return
        foreign = response.foreign_value
        if foreign is None and (not self.left_join or current_value is None):
            result = None  # tombstone
        else:
            result = self.joiner(current_value, foreign)
        self.forward(Record(key, result, record[2], record[3]))
