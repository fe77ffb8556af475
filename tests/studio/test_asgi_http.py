"""studio.asgi_http: Django's HTTP side with the middleware and the view in one
thread, compared with Django's own ASGIHandler on the same requests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator
from django.contrib.auth.models import User
from django.core.handlers.asgi import ASGIHandler
from django.test import Client

from studio.asgi_http import ThreadedChainASGIHandler

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def request(app: Any, method: str, path: str, cookie: str, body: bytes = b"") -> tuple[dict[str, Any], int]:
    """The response (status, headers, body) and how many times a worker thread handed
    something back to the event loop (loop.call_soon_threadsafe: each such hand-back
    waits for the loop's turn, behind whatever else is ready on it)."""
    loop = asyncio.get_running_loop()
    handbacks = 0
    loop_thread = threading.get_ident()
    plain: Callable[..., Any] = loop.call_soon_threadsafe

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal handbacks
        if threading.get_ident() != loop_thread:
            handbacks += 1
        return plain(*args, **kwargs)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode()), (b"accept", b"application/json"),
                         (b"content-type", b"application/json")],
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}
    communicator = ApplicationCommunicator(app, scope)
    loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
    try:
        await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
        start = await communicator.receive_output(10)
        content = b""
        while True:
            message = await communicator.receive_output(10)
            content += message.get("body", b"")
            if not message.get("more_body"):
                break
        await communicator.wait(10)
    finally:
        del loop.call_soon_threadsafe  # type: ignore[method-assign]
    headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return {"status": start["status"], "headers": headers, "body": content}, handbacks


@pytest.fixture
def cookie(alice: User) -> str:
    browser = Client()
    browser.force_login(alice)
    return f"sessionid={browser.cookies['sessionid'].value}"


async def test_the_middleware_and_the_view_answer_alike_with_a_fraction_of_the_hand_backs(cookie: str) -> None:
    stock = ASGIHandler()
    threaded = ThreadedChainASGIHandler()

    theirs, their_handbacks = await request(stock, "GET", "/api/me/", cookie)
    ours, our_handbacks = await request(threaded, "GET", "/api/me/", cookie)

    assert ours["status"] == theirs["status"] == 200
    assert ours["body"] == theirs["body"] and b'"username":"alice"' in ours["body"]
    # What the middleware adds (SecurityMiddleware, XFrameOptionsMiddleware, the
    # session's Vary) is there as with Django's handler.
    for header in ("x-frame-options", "x-content-type-options", "referrer-policy", "vary"):
        assert ours["headers"].get(header) == theirs["headers"].get(header) is not None, header
    # request_started, the request itself, response.close: three.
    assert our_handbacks <= 3, our_handbacks
    assert their_handbacks >= 3 * our_handbacks, (their_handbacks, our_handbacks)


async def test_csrf_still_refuses_a_session_post_without_its_token(cookie: str) -> None:
    threaded = ThreadedChainASGIHandler()
    answer, _ = await request(threaded, "POST", "/api/workspaces/", cookie, b'{"name": "w"}')
    assert answer["status"] == 403
    assert b"CSRF" in answer["body"]


async def test_an_async_view_is_served_too(cookie: str) -> None:
    from studio.asgi import application

    # /healthz is the studio's one async view; the sync chain runs it with async_to_sync.
    answer, _ = await request(application, "GET", "/healthz", cookie)
    assert answer["status"] in (200, 503)
    assert b'"database"' in answer["body"]
