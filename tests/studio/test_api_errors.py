"""An unexpected error in an API view is answered as JSON, like every other error, and
logged with its traceback; the client gets no internals."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import User
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate


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
