"""The web processes' PostgreSQL connection pool (RIFFLE_DATABASE_POOL_MAX, studio/settings.py).

A Django process of its own plays the web process: each "request" runs in a new thread,
as under ASGI, queries, and ends as Django ends a request (the request_finished signal).
It talks to the session's PostgreSQL server through a TCP proxy that the test can cut.
Runs when the session's database is PostgreSQL (the PostgreSQL pass of `.ci/run`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from tests.studio.helpers import postgresql_url
from tests.tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]

WEB = textwrap.dedent("""
    import json, sys, threading, time
    import django
    django.setup()
    from django.core.signals import request_finished
    from django.db import connection

    def request(out):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                out["pid"] = cursor.fetchone()[0]
        except Exception as exc:
            out["error"] = f"{type(exc).__module__}.{type(exc).__name__}"
        finally:
            request_finished.send(sender=None)

    for line in sys.stdin:
        out, began = {}, time.monotonic()
        thread = threading.Thread(target=request, args=(out,))
        thread.start()
        thread.join()
        out["s"] = round(time.monotonic() - began, 2)
        print(json.dumps(out), flush=True)
""")


class Web:
    def __init__(self, database_url: str, pool_max: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", WEB], cwd=ROOT, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "studio.settings",
                 "DATABASE_URL": database_url, "RIFFLE_DATABASE_POOL_MAX": str(pool_max)},
        )

    def request(self) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the web process ended ({self.process.poll()})"
        return json.loads(line)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def proxied_url() -> Iterator[tuple[str, TcpProxy]]:
    settings_dict = connections["default"].settings_dict
    if connections["default"].vendor != "postgresql":
        pytest.skip("the pool is PostgreSQL's: runs in the PostgreSQL pass (DATABASE_URL=postgres://...)")
    proxy = TcpProxy(settings_dict.get("HOST") or "127.0.0.1", int(settings_dict.get("PORT") or 5432))
    # The server's own maintenance database: the test needs a server, not the test tables.
    try:
        yield postgresql_url(settings_dict, address=proxy.address, name="postgres"), proxy
    finally:
        proxy.close()


@pytest.fixture
def web(request: pytest.FixtureRequest, proxied_url: tuple[str, TcpProxy]) -> Iterator[tuple[Web, TcpProxy]]:
    url, proxy = proxied_url
    process = Web(url, request.param)
    try:
        yield process, proxy
    finally:
        process.close()


@pytest.mark.parametrize("web", [4], indirect=True)
def test_requests_in_new_threads_borrow_one_pooled_connection(web: tuple[Web, TcpProxy]) -> None:
    process, proxy = web
    answers = [process.request() for _ in range(10)]
    assert all("pid" in answer for answer in answers), answers
    # The first request finds the pool empty, and the pool may open a second connection
    # in the background while it waits for the first: then those two take turns.
    pids = {answer["pid"] for answer in answers}
    assert len(pids) <= 2, answers
    assert proxy.accepted == len(pids)


@pytest.mark.parametrize("web", [0], indirect=True)
def test_without_the_pool_each_request_connects_anew(web: tuple[Web, TcpProxy]) -> None:
    process, proxy = web
    answers = [process.request() for _ in range(6)]
    assert len({answer["pid"] for answer in answers}) == 6, answers
    assert proxy.accepted == 6


@pytest.mark.parametrize("web", [4], indirect=True)
def test_after_an_outage_the_pool_lends_a_new_connection_not_the_dead_one(web: tuple[Web, TcpProxy]) -> None:
    process, proxy = web
    before = process.request()
    assert "pid" in before, before

    proxy.cut()
    during = process.request()
    # Refused, as an error Django's 503 handling knows, within the pool's 5 s timeout
    # (plus the connect attempt's): not a hang.
    assert during["error"] == "django.db.utils.OperationalError", during
    assert during["s"] < 12, during

    proxy.restore()
    after = process.request()
    assert "pid" in after, after  # the dead connection was checked and replaced
    assert after["pid"] != before["pid"]
