"""Sources: where records enter a topology."""

from __future__ import annotations

from runtime.spec.catalog.model import (
    TOPIC_PATTERN,
    NodeType,
    Port,
    params_schema,
    serde_param,
    store_param,
    topic_param,
)

__all__ = ["SOURCES", "TIMESTAMP_PARAM"]

_KEY_SERDE = serde_param("How record keys are read; defaults to the document's default key serde.")
_VALUE_SERDE = serde_param("How record values are read; defaults to the document's default value serde.")

# Kafka Streams' TimestampExtractor per source (Consumed.withTimestampExtractor): the
# event time windows, joins and suppression go by.
TIMESTAMP_PARAM = {
    "type": "object",
    "title": "Event time",
    "description": "Where each record's timestamp (the event time windows and joins use) comes "
                   "from: the record's own timestamp (default), a field of the JSON value, or the "
                   "wall-clock time when the record is read.",
    "properties": {
        "from": {"type": "string", "enum": ["record", "value_field", "wall_clock"], "default": "record",
                 "title": "Timestamp from"},
        "field": {"type": "string", "minLength": 1, "title": "Value field",
                  "description": "With 'value_field': the field of the value holding epoch "
                                 "milliseconds or an ISO-8601 date-time (UTC when it has no zone)."},
        "on_invalid": {"type": "string", "enum": ["fail", "skip", "partition_time"], "default": "fail",
                       "title": "Invalid timestamp",
                       "description": "A negative, missing or unreadable timestamp: fail the task, skip "
                                      "the record (counted as dropped), or use the partition's latest "
                                      "timestamp."},
    },
    "additionalProperties": False,
    "allOf": [{"if": {"properties": {"from": {"const": "value_field"}}, "required": ["from"]},
               "then": {"required": ["field"]}}],
}

SOURCES = (
    NodeType(
        type="source.stream",
        category="sources",
        title="Stream",
        description="Reads one or more topics as a record stream (a KStream): every record "
                    "is an independent event.",
        params=params_schema(
            {
                "topics": {
                    "type": "array",
                    "items": {"type": "string", "pattern": TOPIC_PATTERN},
                    "minItems": 1,
                    "uniqueItems": True,
                    "title": "Topics",
                    "description": "Input topics, read together.",
                },
                "key_serde": _KEY_SERDE,
                "value_serde": _VALUE_SERDE,
                "timestamp": TIMESTAMP_PARAM,
            },
            required=("topics",),
        ),
        example={"params": {"topics": ["text-lines"], "key_serde": "string", "value_serde": "string"},
                 "note": "every line of text produced to 'text-lines' becomes one record"},
        outputs=(Port("out", "stream", "records"),),
    ),
    NodeType(
        type="source.table",
        category="sources",
        title="Table",
        description="Reads a topic as a changelog table (a KTable): the latest value per key "
                    "wins, and a null value deletes the key. The table is kept in a state store.",
        params=params_schema(
            {
                "topic": topic_param("The changelog topic to read."),
                "key_serde": _KEY_SERDE,
                "value_serde": _VALUE_SERDE,
                "store": store_param(),
                "timestamp": TIMESTAMP_PARAM,
            },
            required=("topic",),
        ),
        example={"params": {"topic": "user-profiles", "value_serde": "json"},
                 "note": "the latest profile per user id"},
        outputs=(Port("out", "table", "table"),),
    ),
    NodeType(
        type="source.global_table",
        category="sources",
        title="Global table",
        description="Reads every partition of a topic into a table on every instance "
                    "(a GlobalKTable), for lookups by any key.",
        params=params_schema(
            {
                "topic": topic_param("The changelog topic to read."),
                "key_serde": _KEY_SERDE,
                "value_serde": _VALUE_SERDE,
                "store": store_param(),
            },
            required=("topic",),
        ),
        example={"params": {"topic": "zip-codes", "value_serde": "json"},
                 "note": "a small reference table every instance keeps in full"},
        outputs=(Port("out", "global_table", "global table"),),
    ),
)
