"""Fixtures of the back-end integration tests: the database the Celery processes share
with the test, and the processes themselves.

Sharing the database with the worker processes (they are separate processes, so they
must open the same database as the test):

- PostgreSQL: pytest-django's `test_<name>` database is an ordinary database on the
  server; the test is transactional (`transaction=True`), so what it writes is
  committed and the worker sees it, and what the worker writes the test sees.
- SQLite: pytest-django's test database is in memory (shared cache, one process only).
  `shared_database` copies it, with what the fixtures created, into a file with
  SQLite's backup API and points the test's connection at that file for the test;
  afterwards the connection returns to the in-memory database (kept open meanwhile),
  whose tables pytest-django then flushes as for any transactional test. The file is
  in WAL mode (settings.py), like a development database shared by web, worker and beat.

Redis: the processes use the session's test Redis (database 15) with the test's key
prefix for everything, the Celery queues and the channel layer included
(riffle_it_settings.py), as the in-process `studio_redis` and `celery_queues` fixtures
do, so that runs sharing a Redis never meet.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.db import connections
from django.test import Client

from tests.studio.helpers import postgresql_url, sqlite_on_file
from tests.studio.integration.stack import HERE, ROOT, CeleryStack


@pytest.fixture
def shared_database(api: Client, tmp_path: Path) -> Iterator[str]:
    """DATABASE_URL naming the database this test uses (see the module's docstring).

    Requests `api`, so the people and the session exist before a SQLite copy is made.
    """
    connection = connections["default"]
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        yield postgresql_url(settings_dict)
        return
    assert connection.vendor == "sqlite", f"no way to share a {connection.vendor} test database"
    if not connection.is_in_memory_db():
        yield f"sqlite:///{settings_dict['NAME']}"
        return
    path = tmp_path / "riffle-test.sqlite3"
    with sqlite_on_file(path):
        yield f"sqlite:///{path}"


@pytest.fixture
def worker_database_url(shared_database: str) -> str:
    """The DATABASE_URL of the Celery processes: the shared database, directly (a test
    may override this fixture to put something between them, e.g. a TCP proxy)."""
    return shared_database


@pytest.fixture
def worker_redis_url(redis_url: str) -> str:
    """The REDIS_URL of the Celery processes (a test may override it, as the database's)."""
    return redis_url


@pytest.fixture
def celery_stack(worker_database_url: str, kafka_bootstrap: str, worker_redis_url: str, key_prefix: str,
                 studio_redis: redis.Redis, celery_queues: Any, settings: Any,
                 tmp_path: Path) -> Iterator[CeleryStack]:
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS", "RIFFLE_KEY_PREFIX")}
    env.update(
        DJANGO_SETTINGS_MODULE="riffle_it_settings",
        PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT)]),
        PYTHONUNBUFFERED="1",
        DATABASE_URL=worker_database_url,
        REDIS_URL=worker_redis_url,
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        RIFFLE_KEY_PREFIX=settings.RIFFLE_KEY_PREFIX,
        RIFFLE_TEST_KEY_PREFIX=key_prefix,
    )
    stack = CeleryStack(env, tmp_path)
    try:
        yield stack
    finally:
        leaks = stack.stop_all()
        for cleanup in stack.after_stop:
            cleanup()
        if leaks:
            logs = "\n".join(f"--- {p.name}\n{p.tail()}" for p in stack.started)
            pytest.fail("Celery processes did not stop: " + "; ".join(leaks) + "\n" + logs, pytrace=False)
