"""Errors of the expression compiler: one for rejected text, one for failing evaluations."""

from __future__ import annotations

from runtime.errors import StreamsError

__all__ = ["ExpressionError", "ExpressionLimitError", "ExpressionRuntimeError"]


class ExpressionError(StreamsError):
    """An expression was rejected at compile time.

    ``line`` and ``col`` are 1-based and count characters, so an editor can put a
    marker under the offending spot; both are ``None`` when the problem has no place
    (for example, the whole text is too long).
    """

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        self.message = message
        self.line = line
        self.col = col
        where = f" (line {line}, column {col})" if line is not None else ""
        super().__init__(f"{message}{where}")


class ExpressionRuntimeError(StreamsError):
    """Evaluating a compiled expression failed (a missing field, a type mismatch, ...).

    The message names the expression text so that the error shown for a record
    points at the user's own words.
    """

    def __init__(self, message: str, expression: str) -> None:
        self.message = message
        self.expression = expression
        super().__init__(f"{message} in expression {_abbreviate(expression)!r}")


class ExpressionLimitError(ExpressionRuntimeError):
    """The sandbox stopped an evaluation: too large a value, too many steps, too long."""


def _abbreviate(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
