"""Shared plumbing of the DSL processors."""

from __future__ import annotations

import logging
from typing import Any

from runtime.processor.api import Processor, ProcessorContext

__all__ = ["DslProcessor", "record_dropped"]

logger = logging.getLogger(__name__)


def record_dropped(context: ProcessorContext, reason: str) -> None:
    """Log and count a record an operator skips (Kafka's dropped-records sensor)."""
    meta = context.record_metadata()
    if meta is None:
        logger.warning("Skipping record due to %s. Topic, partition, and offset not known.", reason)
    else:
        logger.warning("Skipping record due to %s. topic=[%s] partition=[%s] offset=[%s]",
                       reason, meta.topic, meta.partition, meta.offset)
    drop = getattr(context, "record_dropped", None)
    if drop is not None:
        drop()


class DslProcessor(Processor):
    """Keeps ``forward`` at hand: DSL processors call it once per record."""

    forward: Any

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self.forward = context.forward
