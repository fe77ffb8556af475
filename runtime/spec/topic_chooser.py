"""TopicChooser: the topic name extractor of a ``sink.topic_chooser`` node.

A class rather than a closure so that an exported program can build the same sink
(``TopicChooser(chooser=compile_expression(...))``) from an import and a literal, and so
that ``describe()`` (which shows the extractor, as Kafka's "extractor class: ...")
prints the expression instead of a memory address.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runtime.spec.catalog.model import TOPIC_PATTERN

__all__ = ["TopicChooser"]

_TOPIC = re.compile(TOPIC_PATTERN)


@dataclass(frozen=True)
class TopicChooser:
    """Called by the sink as ``(key, value, record_context)`` (Kafka's
    ``TopicNameExtractor.extract``); returns ``chooser(key, value)``, a compiled
    ``topic_chooser`` expression, once it is checked to be a legal topic name."""

    chooser: Callable[[Any, Any], Any]

    def __call__(self, key: Any, value: Any, record_context: Any = None) -> str:
        topic = self.chooser(key, value)
        # Kafka's producer refuses such a name when it sends (InvalidTopicException) and
        # the task fails; failing here says which expression produced it.
        if not isinstance(topic, str) or not _TOPIC.match(topic) or topic in (".", ".."):
            raise ValueError(f"the topic expression gave {topic!r}, which is not a legal topic name "
                             "(1 to 249 letters, digits, '.', '_' or '-')")
        return topic

    def __repr__(self) -> str:
        # compile_expression keeps the source as the function's docstring.
        source = getattr(self.chooser, "__doc__", None)
        return f"TopicChooser({source!r})" if isinstance(source, str) else f"TopicChooser({self.chooser!r})"
