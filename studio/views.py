"""Pages: the single-page app shell, and the JSON 404 of unknown API paths."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response


@require_safe
@login_required
@ensure_csrf_cookie  # the SPA reads the cookie to send X-CSRFToken with its writes
def spa(request: HttpRequest) -> HttpResponse:
    """Every client-side route (/, /topologies/1, /deployments/2, ...) gets index.html."""
    index = settings.FRONTEND_DIST / "index.html"
    try:
        html = index.read_text(encoding="utf-8")
    except FileNotFoundError:
        return render(request, "studio/frontend_missing.html", {"path": index}, status=503)
    response = HttpResponse(html)
    # The shell names fingerprinted assets; a cached copy could point at deleted ones.
    response["Cache-Control"] = "no-cache"
    return response


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
def api_not_found(request: Request) -> Response:
    """Unknown API paths answer JSON, and only to someone signed in (401 otherwise), so
    that the API's map is not there for anonymous probing."""
    raise NotFound(f"There is no API endpoint {request.path}.")
