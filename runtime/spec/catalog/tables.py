"""Tables from streams, and grouping and aggregating tables (with subtractors)."""

from __future__ import annotations

from runtime.spec.catalog.grouping import aggregation_serdes
from runtime.spec.catalog.model import (
    NodeType,
    Port,
    expression_param,
    params_schema,
    serde_param,
    store_param,
)

__all__ = ["TABLES"]

_GROUPED_TABLE_IN = (Port("in", "grouped_table", "grouped table"),)
_TABLE_OUT = (Port("out", "table", "table"),)

_SUBTRACTOR_NOTE = ("When a row of the table changes or is deleted, its old value is first "
                    "subtracted from the old group's aggregate, then the new value added to "
                    "the new group's.")

TABLES = (
    NodeType(
        type="stream.to_table",
        category="stateless",
        title="To table",
        description="Reads a stream as a table: each record is the latest value of its key, "
                    "and a null value deletes it. If an earlier step changed the key, the "
                    "stream is first repartitioned through an internal topic.",
        params=params_schema({
            "store": store_param(),
            "key_serde": serde_param("How keys are written to the store's changelog (and a "
                                     "repartition topic); defaults to the stream's key serde."),
            "value_serde": serde_param("How values are written to the store's changelog (and a "
                                       "repartition topic); defaults to the stream's value serde."),
        }),
        example={"params": {"store": "latest-status"},
                 "note": "the latest status event per order"},
        inputs=(Port("in", "stream", "records"),),
        outputs=_TABLE_OUT,
        needs_keyed_input=True,
    ),
    NodeType(
        type="table.group_by",
        category="grouping",
        title="Group table by",
        description="Re-keys the table's rows by a new (key, value) pair, for an aggregation "
                    "that also subtracts rows that change or disappear. The table is always "
                    "repartitioned through an internal topic.",
        params=params_schema(
            {
                "selector": expression_param("key_value_mapper", "New (key, value)",
                                             "A (key, value) tuple computed from the row's key "
                                             "and value; the new key is the group.",
                                             '(value["region"], value["amount"])'),
                "key_serde": serde_param("How the new keys are written to the repartition "
                                         "topic; defaults to the document's default key serde."),
                "value_serde": serde_param("How the new values are written to the repartition "
                                           "topic; defaults to the document's default value serde."),
            },
            required=("selector",),
        ),
        example={"params": {"selector": '(value["region"], value)', "value_serde": "json"},
                 "note": "user profiles grouped by region"},
        inputs=(Port("in", "table", "table"),),
        outputs=(Port("out", "grouped_table", "grouped table"),),
        key_changing=True,
        expressions={"selector": "key_value_mapper"},
    ),
    NodeType(
        type="grouped_table.count",
        category="aggregation",
        title="Count rows",
        description="Counts the table's rows per group; a row that moves to another group "
                    "is counted there and no longer in its old one.",
        params=params_schema({"store": store_param(), **aggregation_serdes("count")}),
        example={"params": {"store": "users-per-region"}, "note": "how many users each region has"},
        inputs=_GROUPED_TABLE_IN,
        outputs=_TABLE_OUT,
    ),
    NodeType(
        type="grouped_table.reduce",
        category="aggregation",
        title="Reduce rows",
        description="Combines the rows per group into one value of the same type, with an "
                    "adder for new values and a subtractor for old ones. " + _SUBTRACTOR_NOTE,
        params=params_schema(
            {
                "adder": expression_param("reducer", "Add a value",
                                          "The new aggregate from the current aggregate (agg) "
                                          "and a new value.", "agg + value"),
                "subtractor": expression_param("reducer", "Remove a value",
                                               "The new aggregate from the current aggregate "
                                               "(agg) and an old value.", "agg - value"),
                "store": store_param(),
                **aggregation_serdes("reduce"),
            },
            required=("adder", "subtractor"),
        ),
        example={"params": {"adder": "agg + value", "subtractor": "agg - value",
                            "value_serde": "long"},
                 "note": "the total balance per region"},
        inputs=_GROUPED_TABLE_IN,
        outputs=_TABLE_OUT,
        expressions={"adder": "reducer", "subtractor": "reducer"},
    ),
    NodeType(
        type="grouped_table.aggregate",
        category="aggregation",
        title="Aggregate rows",
        description="Folds the rows per group into an aggregate of any type, starting from "
                    "the initializer, with an adder for new values and a subtractor for old "
                    "ones. " + _SUBTRACTOR_NOTE,
        params=params_schema(
            {
                "initializer": expression_param("initializer", "Initial aggregate",
                                                "The aggregate of an empty group.", "0"),
                "adder": expression_param("aggregator", "Add a value",
                                          "The new aggregate from key, a new value and the "
                                          "current aggregate (agg).", 'agg + value["amount"]'),
                "subtractor": expression_param("aggregator", "Remove a value",
                                               "The new aggregate from key, an old value and "
                                               "the current aggregate (agg).",
                                               'agg - value["amount"]'),
                "store": store_param(),
                **aggregation_serdes("aggregate"),
            },
            required=("initializer", "adder", "subtractor"),
        ),
        example={"params": {"initializer": "0", "adder": "agg + len(value)",
                            "subtractor": "agg - len(value)", "value_serde": "long"},
                 "note": "total name length per group"},
        inputs=_GROUPED_TABLE_IN,
        outputs=_TABLE_OUT,
        expressions={"initializer": "initializer", "adder": "aggregator",
                     "subtractor": "aggregator"},
    ),
)
