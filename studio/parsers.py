"""The API's request parser (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES).

Its own module: DRF imports parsers while building its views, so this one must not
import rest_framework.views (studio.api does).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers, status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."


def too_large(length: int | None = None) -> RequestTooLarge:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    size = f"{length} bytes" if length is not None else "too large"
    return RequestTooLarge(f"The request body is {size}; the API reads at most {limit} bytes "
                           "(RIFFLE_MAX_REQUEST_BYTES).")


def content_length(request: Any) -> int | None:
    """The request's Content-Length, None when it has none (or not a number)."""
    meta = getattr(request, "META", {})
    try:
        return int(meta.get("CONTENT_LENGTH") or meta.get("HTTP_CONTENT_LENGTH") or "")
    except (TypeError, ValueError):
        return None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, bounded.

    DRF reads the body from the request's stream, which Django does not limit: a body
    longer than DATA_UPLOAD_MAX_MEMORY_SIZE is refused (413) by its Content-Length before
    a byte is read. JSON nested deeper than the parser can follow is a 400, not a
    RecursionError.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        if limit is not None and request is not None:
            length = content_length(request)
            if length is not None and length > limit:
                raise too_large(length)
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None
