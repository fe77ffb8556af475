"""A sink whose topic is computed per record (Kafka's ``KStream#to(TopicNameExtractor)``).

A node of its own rather than a second way to fill in ``sink.topic``: code that reads a
sink's output topic (validation, the studio, the canvas) can keep relying on
``sink.topic`` having one, and the form has no either/or.
"""

from __future__ import annotations

from runtime.spec.catalog.model import NodeType, Port, expression_param, params_schema, serde_param

__all__ = ["TOPIC_CHOOSER", "TOPIC_CHOOSER_TYPE"]

TOPIC_CHOOSER_TYPE = "sink.topic_chooser"

TOPIC_CHOOSER = (
    NodeType(
        type=TOPIC_CHOOSER_TYPE,
        category="sinks",
        title="To topic chosen per record",
        description="Writes each record to the topic an expression names, computed from its "
                    "key and value (Kafka Streams' TopicNameExtractor). The topics are only "
                    "known at run time: they must exist already or be created by the broker "
                    "(auto.create.topics.enable), and a record whose expression fails or "
                    "gives no legal topic name stops the application, as in Kafka.",
        params=params_schema(
            {
                "topic_expression": expression_param(
                    "topic_chooser", "Topic",
                    "The name of the topic this record goes to (text), from key and value.",
                    '"orders-" + value["region"]'),
                "key_serde": serde_param("How keys are written; defaults to the document's "
                                         "default key serde."),
                "value_serde": serde_param("How values are written; defaults to the document's "
                                           "default value serde."),
            },
            required=("topic_expression",),
        ),
        example={"params": {"topic_expression": '"orders-" + value["region"]', "value_serde": "json"},
                 "note": "orders of region eu go to orders-eu, of region us to orders-us"},
        inputs=(Port("in", "stream", "records"),),
        expressions={"topic_expression": "topic_chooser"},
    ),
)
