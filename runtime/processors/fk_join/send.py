"""Left side, first step: each left update becomes subscriptions keyed by foreign key
(Kafka's ``SubscriptionSendProcessorSupplier``).

Each subscription carries the hash of the new left value (None for a delete), so the
response can be matched against the left value current when it comes back, and the
left record's partition, so the response goes back to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.processor.api import ProcessorContext
from runtime.processor.record import Record
from runtime.processors.base import DslProcessor, record_dropped
from runtime.processors.fk_join.join_serdes import ForeignKeyJoinSerdes
from runtime.serdes.internals.fk_serdes import Instruction, SubscriptionWrapper

__all__ = ["SubscriptionSend"]


class SubscriptionSend:
    def __init__(self, foreign_key_extractor: Callable[[Any], Any], serdes: ForeignKeyJoinSerdes,
                 left_join: bool) -> None:
        self.foreign_key_extractor = foreign_key_extractor
        self.serdes = serdes
        self.left_join = left_join

    def __call__(self) -> DslProcessor:
        return _SendProcessor(self)


class _SendProcessor(DslProcessor):
    def __init__(self, supplier: SubscriptionSend) -> None:
        self.extract = supplier.foreign_key_extractor
        self.serdes = supplier.serdes
        self.left_join = supplier.left_join
        self._record: Record | None = None
        self._hash: tuple[int, int] | None = None

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.serdes.configure(context)

    def process(self, record: Record) -> None:
        self._record = record
        self._hash = None
        new, old = record[1][0], record[1][1]
        if self.left_join:
            self._left_join(new, old)
        else:
            self._inner_join(new, old)

    def _left_join(self, new: Any, old: Any) -> None:
        if old is None and new is None:
            return
        old_fk = None if old is None else self.extract(old)
        new_fk = None if new is None else self.extract(new)
        if old_fk is not None and not self._same(old_fk, new_fk):
            # unsubscribe without a response: a null answer from the old foreign key's
            # partition could overtake the new one's and become the final result
            # (KAFKA-16394)
            self._send(old_fk, Instruction.DELETE_KEY_NO_PROPAGATE)
        # every change gets exactly one response, from the new foreign key (a delete's
        # null one is answered but never stored), so a left join always has a result
        self._send(new_fk, Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE)

    def _inner_join(self, new: Any, old: Any) -> None:
        old_fk = None if old is None else self.extract(old)
        if new is None:
            if old_fk is not None:
                self._send(old_fk, Instruction.DELETE_KEY_AND_PROPAGATE)
            return
        new_fk = self.extract(new)
        if new_fk is None:
            record_dropped(self.context, "null foreign key")
            if old_fk is not None:
                # the old result must go: it no longer joins (KAFKA-16407)
                self._send(old_fk, Instruction.DELETE_KEY_AND_PROPAGATE)
            return
        if old_fk is None:
            # an insert (or a null foreign key becoming valid): no earlier result to
            # retract
            self._send(new_fk, Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE)
        elif not self._same(old_fk, new_fk):
            self._send(old_fk, Instruction.DELETE_KEY_NO_PROPAGATE)
            # a null answer retracts the old foreign key's result if the new one misses
            self._send(new_fk, Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE)
        else:
            # same foreign key: if it misses now it missed before, nothing to retract
            self._send(new_fk, Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE)

    def _same(self, a: Any, b: Any) -> bool:
        # compared as bytes, as Kafka does: keys equal once serialized are the same key
        return self.serdes.foreign_key_bytes(a) == self.serdes.foreign_key_bytes(b)

    def _send(self, foreign_key: Any, instruction: Instruction) -> None:
        record = self._record
        assert record is not None
        new = record[1][0]
        if self._hash is None and new is not None:
            self._hash = self.serdes.value_hash(new)
        meta = self.context.record_metadata()
        wrapper = SubscriptionWrapper(self._hash, instruction, record[0],
                                      None if meta is None else meta.partition)
        self.forward(Record(foreign_key, wrapper, record[2], record[3]))
