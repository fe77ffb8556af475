"""Django's HTTP side under ASGI, with the middleware and the view run in one thread.

Django's own ASGIHandler runs async-capable middleware on the event loop and hops to
a worker thread for each sync part: every `process_request`/`process_response` of a
MiddlewareMixin, WhiteNoise (sync only, so the middleware inside it hop back to the
loop), and the sync view. Our views are sync, so a request made about 15 such round
trips, and each waited its turn on the event loop behind whatever else was ready there.
The loop is also where the websockets' frames are relayed; with 200 dashboards open, each
fan-out keeps it busy for tens of milliseconds, and the requests that arrived meanwhile
paid that wait at each round trip (p99 ~150 ms where the work itself takes ~9 ms, in the
load suite, tests/studio/ops/test_load.py).

:class:`ThreadedChainASGIHandler` loads the middleware in sync mode and runs
`get_response` (middleware, view, exception handling) as one call in the request's
thread, as under WSGI. What is left on the loop is reading the body, sending the
response, and the request_started / request_finished signals. Async views still work:
Django's sync path runs them with async_to_sync.
"""

from __future__ import annotations

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest, HttpResponseBase

__all__ = ["ThreadedChainASGIHandler", "get_threaded_asgi_application"]


class ThreadedChainASGIHandler(ASGIHandler):
    """An ASGIHandler whose middleware chain and view run synchronously in one thread."""

    def __init__(self) -> None:
        # Not ASGIHandler.__init__: it would build the async chain this class never uses.
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        # thread_sensitive: the request's own thread (ASGIHandler.__call__ opens a
        # ThreadSensitiveContext per request), the one its response is closed in too.
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


def get_threaded_asgi_application() -> ThreadedChainASGIHandler:
    """As django.core.asgi.get_asgi_application, with the handler above."""
    django.setup(set_prefix=False)
    return ThreadedChainASGIHandler()
