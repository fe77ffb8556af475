"""An unexpected error in an API view is answered as JSON, like every other error, and
logged with its traceback; the client gets no internals."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate

from studio.api import exception_handler


@api_view(["GET"])
def broken(request: Request) -> Response:
    raise RuntimeError("secret internal detail")


@pytest.mark.django_db
def test_an_unexpected_error_is_a_json_500_without_internals(caplog: pytest.LogCaptureFixture) -> None:
    request = APIRequestFactory().get("/api/broken/")
    force_authenticate(request, user=User.objects.create_user("someone"))
    with caplog.at_level(logging.ERROR, logger="studio.api"):
        response = broken(request)
    assert response.status_code == 500
    assert response.data == {"message": "The server failed to answer this request; the error is in "
                                        "its log.", "problems": []}
    assert "secret internal detail" not in str(response.data)
    [record] = [r for r in caplog.records if r.name == "studio.api"]
    assert record.exc_info is not None and "secret internal detail" in str(record.exc_info[1])


# -- request bodies --------------------------------------------------------------------


def _big_document(size: int) -> bytes:
    """A JSON body of at least `size` bytes (a topology document with a long description)."""
    return json.dumps({"name": "big", "workspace": 1, "description": "x" * size}).encode()


def test_a_body_over_the_limit_is_a_json_413(api: Client, settings: Any) -> None:
    body = _big_document(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    response = api.post("/api/topologies/", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert answer["problems"] == []
    assert f"{len(body)} bytes" in answer["message"]
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in answer["message"]


def test_the_limit_is_five_megabytes_so_large_documents_pass(api: Client, team: Any, settings: Any) -> None:
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 5 * 1024 * 1024
    # Over Django's 2.5 MB default, under the API's limit: read and answered on its merits.
    body = json.dumps({"workspace": team.pk, "name": "big", "description": "x" * 3_000_000}).encode()
    response = api.post("/api/topologies/", data=body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]


def test_djangos_own_refusal_of_a_large_body_is_a_json_413(settings: Any) -> None:
    # Django raises RequestDataTooBig wherever it reads the body itself (request.body,
    # request.POST), e.g. when something has read the stream before DRF's parser.
    from django.core.exceptions import RequestDataTooBig

    request = APIRequestFactory().post("/api/topologies/", data="x" * 2048, content_type="application/json")
    response = exception_handler(RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE."),
                                 {"request": request})
    assert response is not None and response.status_code == 413
    assert response.data["message"].startswith("The request body is 2048 bytes; the API reads at most")


def test_json_nested_too_deeply_is_a_400(api: Client) -> None:
    body = "[" * 100_000 + "]" * 100_000
    response = api.post("/api/validate/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["message"]


@pytest.mark.parametrize("body", [b"\xff\xfe{}", b"{", b"NaN", b'"\\ud800"'])
def test_a_body_that_is_not_json_is_a_400(api: Client, body: bytes) -> None:
    response = api.post("/api/topologies/", data=body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "message" in response.json()


@pytest.mark.parametrize("body", [[], "a document", 7, None, True])
def test_a_json_body_that_is_not_an_object_is_a_400(api: Client, body: Any) -> None:
    response = api.post("/api/topologies/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content
