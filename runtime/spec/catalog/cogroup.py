"""Cogroup: several grouped streams folded into one aggregate per key.

Kafka Streams' ``KGroupedStream#cogroup(aggregator)``, then ``CogroupedKStream#cogroup(
grouped, aggregator)`` for each further input, optionally ``windowed_by(windows)``, then
``aggregate(initializer, ...)``: one state store that every input updates with its own
aggregator, and one table of the aggregates.

On a canvas the inputs are edges into one port, and edges have no order a user can see
or trust (deleting and redrawing one reorders them). So each aggregator names the
upstream node it belongs to (``input``), and the order of the ``aggregators`` list,
not of the edges, is the order the DSL is called in: the first entry starts the
cogroup (and so numbers the processors ``<id>-cogroup-agg-0``, ``-1``, ...).
"""

from __future__ import annotations

from runtime.spec.catalog.grouping import aggregation_serdes
from runtime.spec.catalog.model import (
    NAME_PATTERN,
    NodeType,
    Port,
    expression_param,
    params_schema,
    store_param,
)
from runtime.spec.catalog.windows import WINDOW_REQUIRED, window_conditions, window_durations

__all__ = ["COGROUP", "COGROUP_TYPE"]

COGROUP_TYPE = "grouped.cogroup"

_AGGREGATOR = {
    "type": "object",
    "properties": {
        "input": {
            "type": "string",
            "pattern": NAME_PATTERN,
            "title": "Input",
            "description": "The id of the node whose grouped stream this aggregator folds in "
                           "(a Group by or Group by key connected to this node).",
            # For editors: offer the ids of the nodes connected to input port "in".
            "x-connected-input": "in",
        },
        "aggregator": expression_param("aggregator", "Add a value",
                                       "The new aggregate from key, value and the current "
                                       "aggregate (agg), for records of this input.",
                                       '{**agg, "clicks": agg["clicks"] + 1}'),
    },
    "required": ["input", "aggregator"],
    "additionalProperties": False,
    "title": "Aggregator of one input",
    "description": "Which input, and how its records change the aggregate.",
}

COGROUP = (
    NodeType(
        type=COGROUP_TYPE,
        category="aggregation",
        title="Cogroup",
        description="Folds several grouped streams into ONE aggregate per key (Kafka "
                    "Streams' cogroup): each input has its own aggregator, all of them "
                    "update the same aggregate in one state store, and every update is "
                    "emitted to the resulting table. Give one aggregator per connected "
                    "input, naming that input's node id: edges have no reliable order on "
                    "the canvas, so aggregators are matched to inputs by id, and the order "
                    "of the list is the order the inputs are cogrouped in. Optionally "
                    "aggregate per window (tumbling, hopping, sliding or session; session "
                    "windows also need a merger); the keys of the table are then windowed "
                    "keys. The inputs must be co-partitioned (same number of partitions).",
        params=params_schema(
            {
                "aggregators": {
                    "type": "array",
                    "minItems": 1,
                    "items": _AGGREGATOR,
                    "title": "Aggregators",
                    "description": "One per input, in the order the inputs are cogrouped.",
                },
                "initializer": expression_param("initializer", "Initial aggregate",
                                                "The aggregate of a key before its first "
                                                "record, from any input.",
                                                '{"clicks": 0, "views": 0}'),
                "window": {"type": "string", "enum": list(WINDOW_REQUIRED),
                           "title": "Window type",
                           "description": "Aggregate per window: tumbling, hopping, sliding "
                                          "or session. Not set: one aggregate per key."},
                **window_durations(),
                "merger": expression_param("session_merger", "Merge sessions",
                                           "Session windows only: the aggregate of two sessions "
                                           "that merge (agg1, agg2).",
                                           '{"clicks": agg1["clicks"] + agg2["clicks"], '
                                           '"views": agg1["views"] + agg2["views"]}'),
                "store": store_param(),
                **aggregation_serdes("aggregate"),
            },
            required=("aggregators", "initializer"),
            allOf=window_conditions(),
        ),
        example={
            "params": {
                "aggregators": [
                    {"input": "clicks-by-user", "aggregator": '{**agg, "clicks": agg["clicks"] + 1}'},
                    {"input": "views-by-user",
                     "aggregator": '{**agg, "seconds": agg["seconds"] + value["seconds"]}'},
                ],
                "initializer": '{"clicks": 0, "seconds": 0}',
                "value_serde": "json",
            },
            "note": "per user, clicks counted and viewing time summed from two streams, in "
                    "one table",
        },
        inputs=(Port("in", "grouped_stream", "grouped streams", multiple=True),),
        outputs=(Port("out", "table", "table"),),
        # "aggregator" is the kind of each entry of "aggregators" (the compiler passes
        # one entry at a time, as split does with its predicates); a top-level
        # "aggregator" param does not exist, so node validation skips it.
        expressions={"initializer": "initializer", "merger": "session_merger",
                     "aggregator": "aggregator"},
    ),
)
