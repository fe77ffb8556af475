"""Helpers shared by the studio's tests: documents pointed at a test's topics, a
replica run on a thread of the test process, the in-memory SQLite test database moved
onto a file for tests that need a file, and the URL of a PostgreSQL database for
processes a test starts."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connections

from studio.deployments.runner import ReplicaRunner
# Free of Django in its own module, which the benchmarks import too.
from tests.studio.documents import with_topics  # noqa: F401


class ReplicaThread(threading.Thread):
    """A replica run in the test process, on its own thread, as run_replica runs it in
    a worker; `outcome` holds what `run()` returned once it has.

    The thread closes its database connections as it ends, as Celery does after each
    task: left to the garbage collector, a connection held in a reference cycle
    outlives the test and keeps PostgreSQL's test database from being dropped."""

    def __init__(self, replica_id: int) -> None:
        super().__init__(name=f"replica-{replica_id}", daemon=True)
        self.runner = ReplicaRunner(replica_id, task_id="in-process", poll_interval=0.2)
        self.outcome: list[str] = []

    def run(self) -> None:
        try:
            self.outcome.append(self.runner.run())
        finally:
            connections.close_all()


@contextmanager
def sqlite_on_file(path: Path) -> Iterator[None]:
    """Within the block, the test's in-memory SQLite database is a file at `path`
    holding what it held (copied with SQLite's backup API): other processes can open
    it, or the test can take it away. Afterwards the connection returns to the
    in-memory database, kept open meanwhile, whose tables pytest-django then flushes as
    for any transactional test (what the block wrote to the file is dropped with it)."""
    connection = connections["default"]
    settings_dict = connection.settings_dict
    connection.ensure_connection()
    memory = connection.connection
    with closing(sqlite3.connect(path)) as target:
        memory.backup(target)
    original = settings_dict["NAME"]
    # Django never closes an in-memory database (it would vanish); detach it instead,
    # holding it open, so that the next query opens the file.
    connection.connection = None
    settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        connection.close()
        settings_dict["NAME"] = original
        connection.connection = memory


def postgresql_url(settings_dict: dict[str, Any], address: str | None = None, name: str | None = None) -> str:
    """A postgresql:// URL for a Django DATABASES entry, for a process the test starts:
    at `address` ("host:port", e.g. a proxy in front of the server) instead of the
    entry's own, and naming database `name` instead of the entry's."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    if address is None:
        host = settings_dict.get("HOST") or "localhost"
        address = f"{host}:{settings_dict['PORT']}" if settings_dict.get("PORT") else host
    return f"postgresql://{credentials}{address}/{quote(name or settings_dict['NAME'], safe='')}"
