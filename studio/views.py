"""Pages: the single-page app shell, the JSON 404 of unknown API paths, and the answer
to a request that failed because the database is unavailable."""

from __future__ import annotations

import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views import defaults
from django.views.decorators.http import require_safe
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from studio import outages


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


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler (`handler500`), for what fails outside an API view's own
    handling: a page, the session middleware saving a session, the sign-in form.

    Django calls it while handling the exception, so `sys.exc_info()` names it; a
    database outage is a 503 with a message (JSON under /api/), anything else stays
    Django's plain 500.
    """
    if not outages.database_unavailable(sys.exc_info()[1]):
        if request.path.startswith("/api/"):
            return JsonResponse({"message": "The server failed to answer this request; the error is in its log.",
                                 "problems": []}, status=500)
        return defaults.server_error(request)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"message": outages.MESSAGE, "problems": []}, status=503)
    else:
        response = render(request, "studio/unavailable.html", {"message": outages.MESSAGE}, status=503)
    response["Retry-After"] = str(outages.RETRY_AFTER_S)
    return response
