"""Joins: stream with table, stream with stream within a time window."""

from __future__ import annotations

from runtime.spec.catalog.model import (
    NodeType,
    Port,
    duration_param,
    expression_param,
    params_schema,
    serde_param,
)

__all__ = ["JOINS"]

_JOINER_HELP = ("The joined value from the left and right values; with a left or outer join the "
                "missing side is None.")

JOINS = (
    NodeType(
        type="join.stream_table",
        category="joins",
        title="Join stream with table",
        description="Enriches each stream record with the table's current value for the same "
                    "key (a lookup; table updates alone produce nothing). Inner: records "
                    "without a table row are dropped; left: they pass with right = None. Both "
                    "inputs must be partitioned by the same key.",
        params=params_schema(
            {
                "join": {"type": "string", "enum": ["inner", "left"], "default": "inner",
                         "title": "Join type", "description": "inner or left."},
                "joiner": expression_param("joiner", "Joined value", _JOINER_HELP,
                                           '{**left, "user": right}'),
                "key_serde": serde_param("How keys are written to a repartition topic, if one is "
                                         "needed; defaults to the document's default key serde."),
                "value_serde": serde_param("How stream values are written to a repartition topic, "
                                           "if one is needed; defaults to the document's default "
                                           "value serde."),
            },
            required=("joiner",),
        ),
        example={"params": {"join": "left", "joiner": '{**left, "region": right["region"] if right else None}'},
                 "note": "page views with the viewer's profile"},
        inputs=(Port("left", "stream", "stream"), Port("right", "table", "table")),
        outputs=(Port("out", "stream", "joined"),),
        needs_keyed_input=True,
        expressions={"joiner": "joiner"},
    ),
    NodeType(
        type="join.stream_stream",
        category="joins",
        title="Join streams within a window",
        description="Joins records of two streams with the same key whose timestamps are at "
                    "most the time difference apart (a JoinWindows). Inner: only pairs; left: "
                    "left records without a partner pass with right = None once the window "
                    "closes; outer: both sides do. Both sides are kept in window stores.",
        params=params_schema(
            {
                "join": {"type": "string", "enum": ["inner", "left", "outer"], "default": "inner",
                         "title": "Join type", "description": "inner, left or outer."},
                "joiner": expression_param("joiner", "Joined value", _JOINER_HELP,
                                           '{**left, "search": right}'),
                "time_difference_ms": duration_param("Time difference (ms)",
                                                     "How far apart two records' timestamps may be."),
                "grace_ms": duration_param("Grace (ms)", "How long late records are still "
                                           "joined after the window; none if not set."),
                "key_serde": serde_param("Key serde of the join stores; defaults to the "
                                         "document's default key serde."),
                "value_serde": serde_param("Value serde of the left side's store; defaults to "
                                           "the document's default value serde."),
                "other_value_serde": serde_param("Value serde of the right side's store; defaults "
                                                 "to the document's default value serde."),
            },
            required=("joiner", "time_difference_ms"),
        ),
        example={"params": {"join": "left", "joiner": '{**left, "search": right}',
                            "time_difference_ms": 1000},
                 "note": "page views with a search by the same user within one second"},
        inputs=(Port("left", "stream", "left stream"), Port("right", "stream", "right stream")),
        outputs=(Port("out", "stream", "joined"),),
        needs_keyed_input=True,
        expressions={"joiner": "joiner"},
    ),
)
