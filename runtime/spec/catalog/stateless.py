"""Stateless steps on streams and tables: one record in, zero or more out, no state."""

from __future__ import annotations

from runtime.spec.catalog.model import (
    NodeType,
    Port,
    expression_param,
    params_schema,
    serde_param,
)

__all__ = ["STATELESS"]

_IN = (Port("in", "stream", "records"),)
_OUT = (Port("out", "stream", "records"),)
_TABLE_IN = (Port("in", "table", "table"),)
_TABLE_OUT = (Port("out", "table", "table"),)


def _one_expression(
    type_: str, title: str, description: str, param: str, kind: str, param_title: str,
    help_text: str, example: str, note: str, *, key_changing: bool = False,
    inputs: tuple[Port, ...] = _IN, outputs: tuple[Port, ...] = _OUT,
) -> NodeType:
    return NodeType(
        type=type_,
        category="stateless",
        title=title,
        description=description,
        params=params_schema({param: expression_param(kind, param_title, help_text, example)},
                             required=(param,)),
        example={"params": {param: example}, "note": note},
        inputs=inputs,
        outputs=outputs,
        key_changing=key_changing,
        expressions={param: kind},
    )


STATELESS = (
    _one_expression(
        "stream.filter", "Filter", "Keeps the records for which the predicate is true.",
        "predicate", "predicate", "Keep when",
        "A condition over key and value; records for which it is false are dropped.",
        'value["amount"] > 100', "keeps orders above 100",
    ),
    _one_expression(
        "stream.filter_not", "Filter out", "Drops the records for which the predicate is true.",
        "predicate", "predicate", "Drop when",
        "A condition over key and value; records for which it is true are dropped.",
        'value["status"] == "test"', "drops test orders",
    ),
    _one_expression(
        "stream.map", "Map", "Replaces each record's key and value. Changing the key means a "
        "later grouping or join repartitions the stream.",
        "mapper", "key_value_mapper", "New (key, value)",
        "A (key, value) tuple computed from key and value.",
        "(value, 1)", "makes each word the key", key_changing=True,
    ),
    _one_expression(
        "stream.map_values", "Map values", "Replaces each record's value; the key stays, so no "
        "repartitioning is needed later.",
        "mapper", "value_mapper", "New value",
        "The new value computed from value.",
        'value["amount"] * 1.2', "adds 20 % to the amount",
    ),
    _one_expression(
        "stream.flat_map", "Flat map", "Turns each record into zero or more records with new "
        "keys and values.",
        "mapper", "flat_mapper", "New records",
        "A list of (key, value) tuples computed from key and value.",
        "[(w, 1) for w in value.split()]", "one record per word, keyed by the word",
        key_changing=True,
    ),
    _one_expression(
        "stream.flat_map_values", "Flat map values", "Turns each record into zero or more "
        "records with the same key.",
        "mapper", "flat_value_mapper", "New values",
        "A list of values computed from value; each becomes one record.",
        r're_split(r"\W+", value.lower())', "one record per word of a line",
    ),
    _one_expression(
        "stream.select_key", "Select key", "Sets a new key computed from key and value; the "
        "value stays.",
        "key", "mapper", "New key", "The new key computed from key and value.",
        'value["user_id"]', "keys orders by user", key_changing=True,
    ),
    NodeType(
        type="stream.peek",
        category="stateless",
        title="Peek (log)",
        description="Logs every record passing through (for debugging) and forwards it unchanged.",
        params=params_schema({
            "level": {"type": "string", "enum": ["debug", "info", "warning"], "default": "info",
                      "title": "Log level", "description": "The level of the log lines."},
        }),
        example={"params": {"level": "info"}, "note": "one log line per record"},
        inputs=_IN,
        outputs=_OUT,
    ),
    NodeType(
        type="stream.merge",
        category="stateless",
        title="Merge",
        description="Merges two or more streams into one, in no particular order between them.",
        params=params_schema({}),
        example={"params": {}, "note": "connect several streams to the input"},
        inputs=(Port("in", "stream", "records", multiple=True),),
        outputs=_OUT,
    ),
    NodeType(
        type="table.to_stream",
        category="stateless",
        title="To stream",
        description="Turns a table's updates into a stream of records (a changelog stream).",
        params=params_schema({}),
        example={"params": {}, "note": "every count update becomes a record"},
        inputs=_TABLE_IN,
        outputs=_OUT,
    ),
    _one_expression(
        "table.filter", "Filter table", "Keeps the table rows for which the predicate is true; "
        "an update that fails it deletes the row downstream.",
        "predicate", "predicate", "Keep when",
        "A condition over key and value.", "value >= 10", "rows with a count of at least 10",
        inputs=_TABLE_IN, outputs=_TABLE_OUT,
    ),
    _one_expression(
        "table.filter_not", "Filter out table rows", "Drops the table rows for which the "
        "predicate is true; an update that passes it deletes the row downstream.",
        "predicate", "predicate", "Drop when",
        "A condition over key and value.", 'value["status"] == "closed"', "only open accounts",
        inputs=_TABLE_IN, outputs=_TABLE_OUT,
    ),
    NodeType(
        type="stream.repartition",
        category="stateless",
        title="Repartition",
        description="Writes the stream through an internal topic (<application.id>-<node "
                    "id>-repartition) partitioned by the current key, e.g. after a key change "
                    "so that several later groupings or joins share one repartition, or to "
                    "change the number of partitions.",
        params=params_schema({
            "key_serde": serde_param("How keys are written to the repartition topic; defaults "
                                     "to the stream's key serde."),
            "value_serde": serde_param("How values are written to the repartition topic; "
                                       "defaults to the stream's value serde."),
            "num_partitions": {"type": "integer", "minimum": 1, "title": "Partitions",
                               "description": "Partitions of the repartition topic; defaults "
                                              "to those of the input topics."},
        }),
        example={"params": {"num_partitions": 6, "value_serde": "json"},
                 "note": "spreads orders re-keyed by user over 6 partitions"},
        inputs=_IN,
        outputs=_OUT,
    ),
    NodeType(
        type="stream.foreach",
        # A terminal step, so it sits with the sinks in the palette.
        category="sinks",
        title="For each (log)",
        description="Logs every record and ends the stream (Kafka Streams' foreach). Actions "
                    "with side effects are not expressions; only logging is offered. Use Peek "
                    "to log and continue.",
        params=params_schema({
            "level": {"type": "string", "enum": ["debug", "info", "warning"], "default": "info",
                      "title": "Log level", "description": "The level of the log lines."},
            "message": expression_param("mapper", "Message",
                                        "What to log, computed from key and value; without it "
                                        "the key and the value are logged.",
                                        '"order " + str(key) + ": " + str(value["amount"])'),
        }),
        example={"params": {"level": "info", "message": 'value["amount"]'},
                 "note": "logs each order's amount"},
        inputs=_IN,
        expressions={"message": "mapper"},
    ),
    _one_expression(
        "table.map_values", "Map table values", "Replaces each row's value.",
        "mapper", "value_mapper", "New value", "The new value computed from value.",
        'value["name"]', "keeps only the name", inputs=_TABLE_IN, outputs=_TABLE_OUT,
    ),
)
