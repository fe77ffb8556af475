"""Expression kinds: which variables an expression sees and what it must return.

The parameter order is the DSL's calling convention (../shared/DESIGN.md), so a
compiled expression is passed to the DSL as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["EXPRESSION_KINDS", "ExpressionKind", "Result", "expression_kind"]

# What the compiler enforces on the result before handing it back.
Result = Literal["any", "pair", "pairs", "iterable"]


@dataclass(frozen=True)
class ExpressionKind:
    name: str
    variables: tuple[str, ...]
    result: Result
    description: str

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.name,
            "variables": list(self.variables),
            "result": self.result,
            "description": self.description,
        }


EXPRESSION_KINDS: dict[str, ExpressionKind] = {
    k.name: k
    for k in (
        ExpressionKind("predicate", ("key", "value"), "any",
                       "true keeps the record, false drops it"),
        ExpressionKind("mapper", ("key", "value"), "any",
                       "computes one value from the key and the value (e.g. a new key)"),
        ExpressionKind("value_mapper", ("value",), "any",
                       "computes the new value from the value"),
        ExpressionKind("key_value_mapper", ("key", "value"), "pair",
                       "computes a (key, value) tuple"),
        ExpressionKind("flat_mapper", ("key", "value"), "pairs",
                       "computes a list of (key, value) tuples, one output record each"),
        ExpressionKind("flat_value_mapper", ("value",), "iterable",
                       "computes a list of values, one output record each"),
        ExpressionKind("aggregator", ("key", "value", "agg"), "any",
                       "computes the new aggregate from the key, the value and the current aggregate"),
        ExpressionKind("reducer", ("agg", "value"), "any",
                       "combines the current aggregate with a value"),
        ExpressionKind("initializer", (), "any",
                       "the aggregate's starting value"),
        ExpressionKind("joiner", ("left", "right"), "any",
                       "combines the values of the two sides of a join (None for a missing side)"),
        ExpressionKind("session_merger", ("key", "agg1", "agg2"), "any",
                       "combines the aggregates of two session windows that merge"),
        # The DSL calls a topic chooser as (key, value, record_context); the spec's
        # TopicChooser passes key and value on, so the expression sees just those.
        ExpressionKind("topic_chooser", ("key", "value"), "any",
                       "the name of the topic to write the record to (text)"),
    )
}


def expression_kind(name: str) -> ExpressionKind:
    try:
        return EXPRESSION_KINDS[name]
    except KeyError:
        raise ValueError(
            f"unknown expression kind {name!r}; known: {', '.join(sorted(EXPRESSION_KINDS))}"
        ) from None
