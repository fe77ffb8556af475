"""POST /api/expressions/check/: compile one expression for an editor's inline errors.

Compiling runs no user code: `runtime.spec.compile_expression` parses the text, checks it
against the allow-list, rewrites it and defines (never calls) the guarded function. So
any signed-in user may ask, as for `/api/validate/`.
"""

from __future__ import annotations

from typing import TypedDict

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from runtime.spec.expressions import EXPRESSION_KINDS, ExpressionError, compile_expression
from runtime.spec.expressions.limits import MAX_SOURCE_LENGTH
from studio.api import ERROR_SCHEMA, typed_schema

__all__ = ["check"]


class ExpressionCheck(serializers.Serializer):
    # Blank is allowed so that an emptied field gets the compiler's "empty" error, not a 400.
    source = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=MAX_SOURCE_LENGTH)
    kind = serializers.ChoiceField(choices=sorted(EXPRESSION_KINDS),
                                   help_text="the expression kind (a catalog parameter's x-expression.kind)")


class ExpressionErrorDict(TypedDict):
    message: str
    line: int | None  # 1-based; null when the problem has no place (e.g. empty text)
    column: int | None  # 1-based, in characters


class ExpressionCheckDict(TypedDict):
    ok: bool
    error: ExpressionErrorDict | None


@extend_schema(
    request=ExpressionCheck,
    responses={200: typed_schema(ExpressionCheckDict),
               400: OpenApiResponse(ERROR_SCHEMA, description="unknown kind, or source too long")},
)
@api_view(["POST"])
def check(request: Request) -> Response:
    """Whether `source` compiles as an expression of `kind`; if not, the compiler's
    message and where (line and column, 1-based, in characters) it points."""
    body = ExpressionCheck(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    try:
        compile_expression(data["source"], data["kind"])
    except ExpressionError as exc:
        error: ExpressionErrorDict = {"message": exc.message, "line": exc.line, "column": exc.col}
        return Response({"ok": False, "error": error})
    return Response({"ok": True, "error": None})
