"""Windowing a grouped stream, and aggregations per window."""

from __future__ import annotations

from typing import Any

from runtime.spec.catalog.grouping import aggregation_serdes
from runtime.spec.catalog.model import (
    NodeType,
    Port,
    duration_param,
    expression_param,
    params_schema,
    store_param,
)

__all__ = ["SUPPRESSION", "SUPPRESS_MODES", "WINDOWS", "WINDOW_REQUIRED", "window_conditions",
           "window_durations"]

# Which durations each window type needs (Kafka Streams' factory methods).
WINDOW_REQUIRED: dict[str, tuple[str, ...]] = {
    "tumbling": ("size_ms",),
    "hopping": ("size_ms", "advance_ms"),
    "sliding": ("time_difference_ms",),
    "session": ("gap_ms",),
}


def window_conditions() -> list[dict[str, Any]]:
    """JSON Schema conditions: the durations each window type needs (when ``window`` is set)."""
    return _required_by_type()


def window_durations() -> dict[str, Any]:
    """The duration params of a window (sizes, gap, grace), shared by the nodes that window."""
    return {
        "size_ms": duration_param("Size (ms)", "Window length (tumbling, hopping).", 1),
        "advance_ms": duration_param("Advance (ms)", "How far each hopping window starts "
                                     "after the previous one; at most the size.", 1),
        "time_difference_ms": duration_param("Time difference (ms)",
                                             "Maximum time between records of one "
                                             "sliding window.", 1),
        "gap_ms": duration_param("Inactivity gap (ms)",
                                 "A session ends after this long without records.", 1),
        "grace_ms": duration_param("Grace (ms)", "How long after a window ends late "
                                   "records are still accepted; none if not set."),
    }


def _required_by_type() -> list[dict[str, Any]]:
    return [
        {"if": {"properties": {"window": {"const": kind}}, "required": ["window"]},
         "then": {"required": list(fields)}}
        for kind, fields in WINDOW_REQUIRED.items()
    ]


_WINDOWED_IN = (Port("in", "windowed_stream", "windowed"),)
_TABLE_OUT = (Port("out", "table", "windowed table"),)

WINDOWS = (
    NodeType(
        type="grouped.windowed_by",
        category="windows",
        title="Window",
        description="Splits each key's records into time windows (by record timestamp), for a "
                    "windowed aggregation. Tumbling: fixed, non-overlapping; hopping: fixed "
                    "size, starting every 'advance'; sliding: any two records at most "
                    "'time difference' apart; session: activity separated by a gap. Records "
                    "arriving after window end + grace are dropped.",
        params=params_schema(
            {
                "window": {"type": "string", "enum": list(WINDOW_REQUIRED), "default": "tumbling",
                           "title": "Window type", "description": "tumbling, hopping, sliding or session."},
                **window_durations(),
            },
            required=("window",),
            allOf=_required_by_type(),
        ),
        example={"params": {"window": "hopping", "size_ms": 5000, "advance_ms": 1000},
                 "note": "5-second windows starting every second"},
        inputs=(Port("in", "grouped_stream", "grouped"),),
        outputs=(Port("out", "windowed_stream", "windowed"),),
    ),
    NodeType(
        type="windowed.count",
        category="windows",
        title="Count per window",
        description="Counts the records per key and window; keys of the result are windowed "
                    "keys (key.key, key.window.start, key.window.end).",
        params=params_schema({"store": store_param(), **aggregation_serdes("count")}),
        example={"params": {}, "note": "trades per ticker in each window"},
        inputs=_WINDOWED_IN,
        outputs=_TABLE_OUT,
    ),
    NodeType(
        type="windowed.reduce",
        category="windows",
        title="Reduce per window",
        description="Combines the values per key and window into one value of the same type.",
        params=params_schema(
            {
                "reducer": expression_param("reducer", "Combine", "The new aggregate from the "
                                            "current aggregate (agg) and the next value.",
                                            "max(agg, value)"),
                "store": store_param(),
                **aggregation_serdes("reduce"),
            },
            required=("reducer",),
        ),
        example={"params": {"reducer": "max(agg, value)"}, "note": "the largest value per window"},
        inputs=_WINDOWED_IN,
        outputs=_TABLE_OUT,
        expressions={"reducer": "reducer"},
    ),
    NodeType(
        type="windowed.aggregate",
        category="windows",
        title="Aggregate per window",
        description="Folds the values per key and window into an aggregate, starting from the "
                    "initializer. Session windows also need a merger for sessions that join.",
        params=params_schema(
            {
                "initializer": expression_param("initializer", "Initial aggregate",
                                                "The aggregate before the first value.",
                                                '{"count": 0, "min": None, "sum": 0.0}'),
                "aggregator": expression_param("aggregator", "Add a value",
                                               "The new aggregate from key, value and the "
                                               "current aggregate (agg).",
                                               '{"count": agg["count"] + 1, "min": value["price"] '
                                               'if agg["min"] is None else min(agg["min"], '
                                               'value["price"]), "sum": agg["sum"] + value["price"]}'),
                "merger": expression_param("session_merger", "Merge sessions",
                                           "Session windows only: the aggregate of two sessions "
                                           "that merge (agg1, agg2).",
                                           '{"count": agg1["count"] + agg2["count"]}'),
                "store": store_param(),
                **aggregation_serdes("aggregate"),
            },
            required=("initializer", "aggregator"),
        ),
        example={"params": {"initializer": "0", "aggregator": "agg + 1", "value_serde": "long"},
                 "note": "a count written as an aggregation"},
        inputs=_WINDOWED_IN,
        outputs=_TABLE_OUT,
        expressions={"initializer": "initializer", "aggregator": "aggregator",
                     "merger": "session_merger"},
    ),
)

# How each suppression mode maps onto Kafka's Suppressed factories.
SUPPRESS_MODES = ("window_closes", "time_limit")

SUPPRESSION = (
    NodeType(
        type="table.suppress",
        category="windows",
        title="Suppress updates",
        description="Holds back a table's updates. Until the window closes: only the final "
                    "result of each window, once stream time passes window end + grace (the "
                    "input must come from a windowed aggregation; the buffer is unbounded). "
                    "Until a time limit: a key's latest value once stream time is the limit "
                    "past its first held-back update, or earlier when the buffer is full.",
        params=params_schema(
            {
                "until": {"type": "string", "enum": list(SUPPRESS_MODES),
                          "default": "window_closes", "title": "Emit",
                          "description": "window_closes: final window results; time_limit: "
                                         "at most one update per key per time limit."},
                "time_limit_ms": duration_param("Time limit (ms)",
                                                "time_limit only: how long to wait for more "
                                                "updates of a key."),
                "max_records": {"type": "integer", "minimum": 1, "title": "Buffer size (keys)",
                                "description": "time_limit only: at most this many keys are "
                                               "held back; when full the oldest is emitted "
                                               "early. Unbounded if not set."},
            },
            allOf=[{"if": {"properties": {"until": {"const": "time_limit"}}, "required": ["until"]},
                    "then": {"required": ["time_limit_ms"]}}],
        ),
        example={"params": {"until": "window_closes"},
                 "note": "one final count per window instead of every update"},
        inputs=(Port("in", "table", "windowed table"),),
        outputs=(Port("out", "table", "windowed table"),),
    ),
)
