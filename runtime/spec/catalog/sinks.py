"""Sinks: where records leave a topology."""

from __future__ import annotations

from runtime.spec.catalog.model import NodeType, Port, params_schema, serde_param, topic_param

__all__ = ["SINKS"]

SINKS = (
    NodeType(
        type="sink.topic",
        category="sinks",
        title="To topic",
        description="Writes every record of a stream to a topic. A table must be turned into "
                    "a stream first (To stream).",
        params=params_schema(
            {
                "topic": topic_param("The output topic."),
                "key_serde": serde_param("How keys are written; defaults to the document's "
                                         "default key serde."),
                "value_serde": serde_param("How values are written; defaults to the document's "
                                           "default value serde."),
            },
            required=("topic",),
        ),
        example={"params": {"topic": "word-counts", "key_serde": "string", "value_serde": "long"},
                 "note": "counts as 8-byte big-endian longs, readable by any Kafka client"},
        inputs=(Port("in", "stream", "records"),),
    ),
)
