"""compile_expression: text → checked tree → guarded function."""

from __future__ import annotations

import ast
import functools
import warnings
from collections.abc import Callable
from typing import Any

from runtime.spec.expressions.checker import check_expression
from runtime.spec.expressions.errors import (
    ExpressionError,
    ExpressionLimitError,
    ExpressionRuntimeError,
)
from runtime.spec.expressions.functions import FUNCTIONS
from runtime.spec.expressions.guards import GUARDS, SandboxLimit
from runtime.spec.expressions.kinds import expression_kind
from runtime.spec.expressions.limits import MAX_SOURCE_LENGTH
from runtime.spec.expressions.rewriter import build_function
from runtime.spec.udf import function_namespace, registry_generation

__all__ = ["compile_expression"]

_BASE_NAMESPACE: dict[str, Any] = {
    "__builtins__": {},
    **{name: f.impl for name, f in FUNCTIONS.items()},
    **GUARDS,
    "_Exception": Exception,
}
_MAX_MESSAGE = 500


def compile_expression(source: str, kind: str) -> Callable[..., Any]:
    """Compile a sandboxed Python expression into a callable of the kind's variables.

    :param source: Python expression syntax over the kind's variables, e.g.
        ``value["amount"] > 100`` for a predicate.
    :param kind: one of :data:`~runtime.spec.expressions.kinds.EXPRESSION_KINDS`
        (predicate, mapper, value_mapper, key_value_mapper, flat_mapper,
        flat_value_mapper, aggregator, reducer, initializer, joiner, session_merger).
    :return: a function taking the kind's variables positionally; it raises
        :class:`ExpressionRuntimeError` (or its subclass :class:`ExpressionLimitError`
        when the sandbox stops it) if evaluation fails.
    :raises ExpressionError: the text is not an allowed expression.
    :raises ValueError: ``kind`` is unknown (a programming error, not a user's).
    """
    expression_kind(kind)
    if not isinstance(source, str):
        raise ExpressionError(f"an expression must be text, not {type(source).__name__}")
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(
            f"the expression is {len(source):,} characters long; the limit is {MAX_SOURCE_LENGTH:,}"
        )
    if not source.strip():
        raise ExpressionError("the expression is empty")
    return _compile(source, kind, registry_generation())


# Keyed by the registry's generation too: a function registered, replaced or removed
# later must not be served from an expression compiled before.
@functools.lru_cache(maxsize=1024)
def _compile(source: str, kind_name: str, generation: int) -> Callable[..., Any]:
    kind = expression_kind(kind_name)
    tree = _parse(source)
    check_expression(source, tree, kind.variables)
    if kind.result == "any" and isinstance(tree.body, ast.GeneratorExp):
        raise ExpressionError("the result cannot be a generator; use a list: [... for ...]", 1, 1)
    # User-defined functions first: their names never clash with the built-ins or the
    # guards (registration refuses those), and the built-ins must win regardless.
    namespace = {**function_namespace(), **_BASE_NAMESPACE}
    namespace["_wrap"] = _error_wrapper(source)
    function = build_function(tree, kind, namespace)
    function.__doc__ = source
    return function


def _parse(source: str) -> ast.Expression:
    with warnings.catch_warnings():
        # Invalid escapes in non-raw strings ("\W") warn while parsing; they are no error.
        warnings.simplefilter("ignore")
        return _parse_quietly(source)


def _parse_quietly(source: str) -> ast.Expression:
    try:
        return _parse_as_written(source)
    except ExpressionError as error:
        # A line break outside brackets is a syntax error in Python; on a canvas people
        # write multi-line expressions anyway, so try once more inside parentheses. The
        # first error is the one to report if that fails too.
        try:
            tree = ast.parse(f"(\n{source}\n)", filename="<expression>", mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            raise error from None
    ast.increment_lineno(tree, -1)
    assert isinstance(tree, ast.Expression)
    return tree


def _parse_as_written(source: str) -> ast.Expression:
    # Leading blanks would be an "unexpected indent"; parse without them and shift
    # the positions back so that errors point into the text as the user wrote it.
    text = source.lstrip()
    lead = source[: len(source) - len(text)]
    lines_skipped = lead.count("\n")
    lead_on_line = lead[lead.rfind("\n") + 1:]
    try:
        tree = ast.parse(text, filename="<expression>", mode="eval")
    except SyntaxError as exc:
        line = exc.lineno or 1
        col = (exc.offset or 1) + (len(lead_on_line) if line == 1 else 0)
        raise ExpressionError(f"invalid syntax: {exc.msg}", line + lines_skipped, col) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply to be parsed") from None
    except ValueError as exc:
        raise ExpressionError(f"the expression cannot be parsed: {exc}") from None
    if lead:
        shift = len(lead_on_line.encode("utf-8"))
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) == 1:
                node.col_offset += shift  # type: ignore[attr-defined]
            if getattr(node, "end_lineno", None) == 1:
                node.end_col_offset += shift  # type: ignore[attr-defined]
        ast.increment_lineno(tree, lines_skipped)
    assert isinstance(tree, ast.Expression)
    return tree


def _error_wrapper(source: str) -> Callable[[BaseException], ExpressionRuntimeError]:
    def wrap(exc: BaseException) -> ExpressionRuntimeError:
        if isinstance(exc, SandboxLimit):
            return ExpressionLimitError(str(exc), source)
        message = f"{type(exc).__name__}: {exc}"
        if len(message) > _MAX_MESSAGE:
            message = message[: _MAX_MESSAGE - 3] + "..."
        return ExpressionRuntimeError(message, source)

    return wrap
