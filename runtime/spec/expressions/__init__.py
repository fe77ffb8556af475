"""The sandboxed expression language of topology documents.

Python expression syntax over a record's ``key`` and ``value`` (and ``agg``,
``left``, ``right`` where they apply), checked against an allow-list and compiled
once into a guarded function::

    is_big = compile_expression('value["amount"] > 100', "predicate")
    is_big("k", {"amount": 250})   # True
"""

from __future__ import annotations

from runtime.spec.expressions.compiler import compile_expression
from runtime.spec.expressions.errors import (
    ExpressionError,
    ExpressionLimitError,
    ExpressionRuntimeError,
)
from runtime.spec.expressions.functions import function_reference
from runtime.spec.expressions.kinds import EXPRESSION_KINDS, ExpressionKind

__all__ = [
    "EXPRESSION_KINDS",
    "ExpressionError",
    "ExpressionKind",
    "ExpressionLimitError",
    "ExpressionRuntimeError",
    "compile_expression",
    "function_reference",
]
