"""tests/database_sessions: naming who else is connected to the PostgreSQL test database."""

from __future__ import annotations

import os

import pytest
from django.db import connections

from tests.database_sessions import OpenedDuring, other_sessions
from tests.studio.helpers import postgresql_url


@pytest.mark.django_db
def test_a_connection_left_open_is_named_with_its_process_and_query() -> None:
    connection = connections["default"]
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's sessions: runs in the PostgreSQL pass (DATABASE_URL=postgres://...)")
    import psycopg

    with psycopg.connect(postgresql_url(connection.settings_dict), connect_timeout=5) as left_open:
        left_open.execute("SELECT 'left open by the test'")
        found = [line for line in other_sessions(connection) if "left open by the test" in line]
    assert len(found) == 1, found
    assert f"pid {os.getpid()} (this pytest process)" in found[0]


@pytest.mark.django_db
def test_the_test_a_connection_was_opened_during_is_named() -> None:
    connection = connections["default"]
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's sessions: runs in the PostgreSQL pass (DATABASE_URL=postgres://...)")
    import psycopg

    watch = OpenedDuring(os.environ["DATABASE_URL"])
    try:
        database = connection.settings_dict["NAME"]
        before = watch.backends(database)
        with psycopg.connect(postgresql_url(connection.settings_dict), connect_timeout=5) as left_open:
            left_open.execute("SELECT 'opened during the test'")
            watch.note("tests/example.py::test_that_leaks", database, before)
            [line] = [line for line in other_sessions(connection, watch.tests) if "opened during the test" in line]
        assert ", opened during tests/example.py::test_that_leaks:" in line
        # a connection there before is no test's: our own Django connection
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (own,) = cursor.fetchone()
        assert own not in watch.tests
        # once its own connection is gone, the watch stops instead of failing tests
        watch.close()
        assert watch.backends(database) is None
        watch.note("tests/example.py::test_after", database, before)
        assert "tests/example.py::test_after" not in watch.tests.values()
    finally:
        watch.close()
