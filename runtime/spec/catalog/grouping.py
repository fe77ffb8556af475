"""Grouping (by the current key or a new one) and aggregations of grouped streams."""

from __future__ import annotations

from runtime.spec.catalog.model import (
    NodeType,
    Port,
    expression_param,
    params_schema,
    serde_param,
    store_param,
)

__all__ = ["AGGREGATION", "GROUPING", "aggregation_serdes"]

_GROUP_SERDES = {
    "key_serde": serde_param("How keys are written to the repartition topic, if one is needed; "
                             "defaults to the document's default key serde."),
    "value_serde": serde_param("How values are written to the repartition topic, if one is needed; "
                               "defaults to the document's default value serde."),
}


_VALUE_DEFAULTS = {
    "count": "long",
    "reduce": "the serde of the incoming values",
    "aggregate": "the document's default value serde",
}


def aggregation_serdes(aggregation: str) -> dict[str, object]:
    """Serde params of a store; the value default depends on the aggregation."""
    return {
        "key_serde": serde_param("How the store's keys are written to its changelog; defaults to "
                                 "the grouping's key serde."),
        "value_serde": serde_param("How the aggregate is written to the store's changelog; "
                                   f"defaults to {_VALUE_DEFAULTS[aggregation]}."),
    }


GROUPING = (
    NodeType(
        type="stream.group_by_key",
        category="grouping",
        title="Group by key",
        description="Groups records by their current key, for an aggregation. If an earlier "
                    "step changed the key, the stream is first repartitioned through an "
                    "internal topic so that equal keys meet in one task.",
        params=params_schema(dict(_GROUP_SERDES)),
        example={"params": {"key_serde": "string", "value_serde": "string"},
                 "note": "count words after keying each record by its word"},
        inputs=(Port("in", "stream", "records"),),
        outputs=(Port("out", "grouped_stream", "grouped"),),
        needs_keyed_input=True,
    ),
    NodeType(
        type="stream.group_by",
        category="grouping",
        title="Group by",
        description="Groups records by a new key computed from key and value. The stream is "
                    "repartitioned through an internal topic.",
        params=params_schema(
            {
                "key": expression_param("mapper", "Group key",
                                        "The grouping key computed from key and value.",
                                        'value["ticker"]'),
                **_GROUP_SERDES,
            },
            required=("key",),
        ),
        example={"params": {"key": 'value["ticker"]', "key_serde": "string", "value_serde": "json"},
                 "note": "trades grouped by ticker symbol"},
        inputs=(Port("in", "stream", "records"),),
        outputs=(Port("out", "grouped_stream", "grouped"),),
        key_changing=True,
        expressions={"key": "mapper"},
    ),
)

_GROUPED_IN = (Port("in", "grouped_stream", "grouped"),)
_TABLE_OUT = (Port("out", "table", "table"),)

AGGREGATION = (
    NodeType(
        type="grouped.count",
        category="aggregation",
        title="Count",
        description="Counts the records per key; the result is a table of counts (longs).",
        params=params_schema({"store": store_param(), **aggregation_serdes("count")}),
        example={"params": {"store": "counts-store"}, "note": "how often each word was seen"},
        inputs=_GROUPED_IN,
        outputs=_TABLE_OUT,
    ),
    NodeType(
        type="grouped.reduce",
        category="aggregation",
        title="Reduce",
        description="Combines the values per key into one value of the same type.",
        params=params_schema(
            {
                "reducer": expression_param("reducer", "Combine",
                                            "The new aggregate from the current aggregate (agg) "
                                            "and the next value.", "agg + value"),
                "store": store_param(),
                **aggregation_serdes("reduce"),
            },
            required=("reducer",),
        ),
        example={"params": {"reducer": "max(agg, value)"}, "note": "the largest value per key"},
        inputs=_GROUPED_IN,
        outputs=_TABLE_OUT,
        expressions={"reducer": "reducer"},
    ),
    NodeType(
        type="grouped.aggregate",
        category="aggregation",
        title="Aggregate",
        description="Folds the values per key into an aggregate of any type, starting from "
                    "the initializer.",
        params=params_schema(
            {
                "initializer": expression_param("initializer", "Initial aggregate",
                                                "The aggregate before the first value.",
                                                '{"count": 0, "total": 0}'),
                "aggregator": expression_param("aggregator", "Add a value",
                                               "The new aggregate from key, value and the "
                                               "current aggregate (agg).",
                                               '{"count": agg["count"] + 1, '
                                               '"total": agg["total"] + value["amount"]}'),
                "store": store_param(),
                **aggregation_serdes("aggregate"),
            },
            required=("initializer", "aggregator"),
        ),
        example={"params": {"initializer": "0", "aggregator": 'agg + value["amount"]',
                            "value_serde": "double"},
                 "note": "the total amount per key"},
        inputs=_GROUPED_IN,
        outputs=_TABLE_OUT,
        expressions={"initializer": "initializer", "aggregator": "aggregator"},
    ),
)
