"""Joins: stream with table or global table, streams within a window, tables (by key or by
a foreign key)."""

from __future__ import annotations

from runtime.spec.catalog.model import (
    NodeType,
    Port,
    duration_param,
    expression_param,
    params_schema,
    serde_param,
    store_param,
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
    NodeType(
        type="join.stream_global_table",
        category="joins",
        title="Join stream with global table",
        description="Enriches each stream record with the global table's value for a key "
                    "computed from the record (a lookup; table updates alone produce "
                    "nothing). No repartitioning: every instance has the whole table. Inner: "
                    "records without a row are dropped; left: they pass with right = None.",
        params=params_schema(
            {
                "join": {"type": "string", "enum": ["inner", "left"], "default": "inner",
                         "title": "Join type", "description": "inner or left."},
                "key_selector": expression_param("mapper", "Lookup key",
                                                 "The key to look up in the global table, "
                                                 "computed from the record's key and value.",
                                                 'value["zip"]'),
                "joiner": expression_param("joiner", "Joined value", _JOINER_HELP,
                                           '{**left, "city": right["city"]}'),
            },
            required=("key_selector", "joiner"),
        ),
        example={"params": {"join": "left", "key_selector": 'value["zip"]',
                            "joiner": '{**left, "city": right["city"] if right else None}'},
                 "note": "orders with the city of their zip code"},
        inputs=(Port("left", "stream", "stream"), Port("right", "global_table", "global table")),
        outputs=(Port("out", "stream", "joined"),),
        expressions={"key_selector": "mapper", "joiner": "joiner"},
    ),
    NodeType(
        type="join.table_table",
        category="joins",
        title="Join tables",
        description="Joins two tables on their key; the result is a table updated whenever "
                    "either side changes, with the larger of the two rows' timestamps. Inner: "
                    "keys in both; left: every key of the left table (right = None when "
                    "missing); outer: keys of either. A result that disappears is deleted. "
                    "Both tables must be partitioned by the same key.",
        params=params_schema(
            {
                "join": {"type": "string", "enum": ["inner", "left", "outer"], "default": "inner",
                         "title": "Join type", "description": "inner, left or outer."},
                "joiner": expression_param("joiner", "Joined value", _JOINER_HELP,
                                           '{**left, "address": right}'),
                "store": {**store_param(),
                          "description": "Keeps the joined table in a state store of this name "
                                         "(changelog <application.id>-<store>-changelog); not "
                                         "materialized if not set."},
            },
            required=("joiner",),
        ),
        example={"params": {"join": "left", "joiner": '{"user": left, "address": right}'},
                 "note": "users with their address, if known"},
        inputs=(Port("left", "table", "left table"), Port("right", "table", "right table")),
        outputs=(Port("out", "table", "joined"),),
        needs_keyed_input=True,
        expressions={"joiner": "joiner"},
    ),
    NodeType(
        type="join.foreign_key",
        category="joins",
        title="Join tables by foreign key",
        description="Joins each row of the left table with the right table's row whose key is "
                    "the foreign key extracted from the left row's value (many-to-one). The "
                    "result is keyed like the left table and updated when either side "
                    "changes. Inner: rows with a match; left: every left row (right = None "
                    "when missing). The tables need not be co-partitioned: internal "
                    "subscription topics route the lookups.",
        params=params_schema(
            {
                "join": {"type": "string", "enum": ["inner", "left"], "default": "inner",
                         "title": "Join type", "description": "inner or left."},
                "foreign_key": expression_param("value_mapper", "Foreign key",
                                                "The right table's key, computed from the "
                                                "left row's value.", 'value["customer_id"]'),
                "joiner": expression_param("joiner", "Joined value", _JOINER_HELP,
                                           '{**left, "customer": right}'),
                "store": {**store_param(),
                          "description": "Keeps the joined table in a state store of this name "
                                         "(changelog <application.id>-<store>-changelog); not "
                                         "materialized if not set."},
            },
            required=("foreign_key", "joiner"),
        ),
        example={"params": {"foreign_key": 'value["customer_id"]',
                            "joiner": '{**left, "customer": right["name"]}'},
                 "note": "orders with their customer's name"},
        inputs=(Port("left", "table", "left table"), Port("right", "table", "right table")),
        outputs=(Port("out", "table", "joined"),),
        expressions={"foreign_key": "value_mapper", "joiner": "joiner"},
    ),
)
