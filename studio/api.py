"""Conventions shared by every JSON endpoint: error bodies, pagination, schema helpers.

Every error answer is `{"message": str, "problems": [problem, ...]}` where a problem has
the shape of a document problem (`node_id`, `path`, `severity`, `message`); request
field errors use `path` for the field and a null `node_id`.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Iterable

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from drf_spectacular.plumbing import resolve_type_hint
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from studio import outages
from studio.parsers import JSONParser, content_length, too_large
from studio.topologies.documents import ProblemDict, problem

__all__ = ["ERROR_SCHEMA", "JSONParser", "MAX_ID", "Pages", "ProblemsError", "document_common_errors", "exception_handler",
           "paged_schema", "paginate", "typed_schema"]

logger = logging.getLogger(__name__)


# The largest id a row can have (SQLite's INTEGER, PostgreSQL's bigint): ids in queries
# and bodies are refused past it (400) rather than overflowing the database driver.
MAX_ID = 2**63 - 1


class ProblemsError(exceptions.APIException):
    """A request refused for reasons listed as problems (400 unless told otherwise)."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, problems: list[ProblemDict], *, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems
        if status_code is not None:
            self.status_code = status_code


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # Django's own refusals of a request body (read for a session's CSRF check, say).
    if isinstance(exc, RequestDataTooBig):
        exc = too_large(content_length(context.get("request")))
    elif isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        exc = exceptions.ParseError(str(exc))
    elif _unusable_connection(exc):
        # A stored connection that cannot be handed to a client (its secret does not
        # decrypt, its settings are refused): the row is at fault, whatever the view.
        exc = ProblemsError(str(exc), [], status_code=status.HTTP_409_CONFLICT)
    elif outages.database_unavailable(exc):
        logger.error("database unavailable in %s: %s", _view_name(context), exc)
        set_rollback()
        return Response({"message": outages.MESSAGE, "problems": []},
                        status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": str(outages.RETRY_AFTER_S)})
    response = drf_exception_handler(exc, context)
    if response is None:
        # A bug, not a refusal: logged with its traceback here, and answered in the API's
        # JSON shape (Django's own 500 page is HTML) without internals for the client.
        logger.error("unexpected error in %s", _view_name(context), exc_info=exc)
        return Response({"message": "The server failed to answer this request; the error "
                                    "is in its log.", "problems": []},
                        status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    if isinstance(exc, ProblemsError):
        response.data = {"message": exc.message, "problems": exc.problems}
    elif isinstance(exc, exceptions.ValidationError):
        problems = list(_field_problems(exc.detail, ""))
        response.data = {"message": _summary(problems), "problems": problems}
    else:
        detail = getattr(exc, "detail", None)
        message = str(detail) if isinstance(detail, str) else str(exc)
        response.data = {"message": message, "problems": []}
    return response


def _view_name(context: dict[str, Any]) -> str:
    view = context.get("view")
    return type(view).__name__ if view else "an API view"


def _unusable_connection(exc: Exception) -> bool:
    from studio.connections.models import UnusableConnectionError  # the models load after this module

    return isinstance(exc, UnusableConnectionError)


def _field_problems(detail: Any, path: str) -> Iterable[ProblemDict]:
    if isinstance(detail, dict):
        for key, value in detail.items():
            sub = path if key == "non_field_errors" else (f"{path}.{key}" if path else str(key))
            yield from _field_problems(value, sub)
    elif isinstance(detail, list):
        for i, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                yield from _field_problems(value, f"{path}[{i}]")
            else:
                yield problem(str(value), path=path)
    else:
        yield problem(str(detail), path=path)


def _summary(problems: list[ProblemDict]) -> str:
    if len(problems) == 1:
        p = problems[0]
        return f"{p['path']}: {p['message']}" if p["path"] else p["message"]
    return f"The request has {len(problems)} problems."


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def paginate(request: Request, items: Any, to_item: Callable[[Any], Any]) -> Response:
    """`{"count", "next", "previous", "results"}` for one page of `items`."""
    pages = Pages()
    page = pages.paginate_queryset(items, request)
    return pages.get_paginated_response([to_item(item) for item in page or []])


def paged_schema(item: Any) -> dict[str, Any]:
    """OpenAPI schema of a page whose results are `item` (a TypedDict)."""
    return {
        "type": "object",
        "required": ["count", "results"],
        "properties": {
            "count": {"type": "integer"},
            "next": {"type": "string", "format": "uri", "nullable": True},
            "previous": {"type": "string", "format": "uri", "nullable": True},
            "results": {"type": "array", "items": resolve_type_hint(item)},
        },
    }


def typed_schema(hint: Any) -> dict[str, Any]:
    """OpenAPI schema of a TypedDict answer."""
    return resolve_type_hint(hint)


ERROR_SCHEMA = {
    "type": "object",
    "required": ["message", "problems"],
    "properties": {
        "message": {"type": "string"},
        "problems": {"type": "array", "items": resolve_type_hint(ProblemDict)},
    },
}


def _error_answer(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


_PAGE_PARAMETERS = [
    {"name": "page", "in": "query", "required": False, "description": "page number, from 1 (or `last`)",
     "schema": {"type": "integer", "minimum": 1}},
    {"name": "page_size", "in": "query", "required": False,
     "description": f"items per page ({Pages.page_size}, at most {Pages.max_page_size})",
     "schema": {"type": "integer", "minimum": 1, "maximum": Pages.max_page_size}},
]


def _is_paged(operation: dict[str, Any]) -> bool:
    answer = operation.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
    return {"count", "results"} <= set(answer.get("schema", {}).get("properties", {}))


def document_common_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the errors any operation may answer.

    401 to a request without a session or a valid token (every operation); 403 when the
    user's role in the object's workspace is too low, or a session's write lacks its
    CSRF header; for paged lists, the `page` and `page_size` parameters and the 404 of
    a page past the end; and for operations with a request body, 400 (not JSON, or not
    shaped as documented), 413 (over DATA_UPLOAD_MAX_MEMORY_SIZE) and 415 (not JSON).
    """
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault("Error", ERROR_SCHEMA)
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "patch", "delete", "head", "options"):
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", _error_answer("not signed in: no session and no valid API token"))
            if method != "get" or "{" in path:
                responses.setdefault("403", _error_answer(
                    "refused: the user's role in the workspace is too low (the message names the "
                    "role needed), or a session's write came without its CSRF header"))
            if _is_paged(operation):
                names = {p.get("name") for p in operation.get("parameters", [])}
                for parameter in _PAGE_PARAMETERS:
                    if parameter["name"] not in names:
                        operation.setdefault("parameters", []).append(parameter)
                responses.setdefault("404", _error_answer("no such page (`Invalid page.`), or no such object"))
            if "requestBody" in operation:
                responses.setdefault("400", _error_answer("the body is not JSON, or not shaped as documented"))
                responses.setdefault("413", _error_answer("the body is larger than the API reads "
                                                          "(RIFFLE_MAX_REQUEST_BYTES)"))
                responses.setdefault("415", _error_answer("the body is not JSON (Content-Type)"))
    return result
