"""An empty database for a studio stack a test starts as subprocesses (`manage.py
runstack`), of the kind the session runs on, so that the PostgreSQL pass of `.ci/run`
runs those stacks on PostgreSQL too."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


@contextmanager
def session_kind_database(directory: Path, prefix: str = "riffle_stack") -> Iterator[str]:
    """The URL of an empty database: on PostgreSQL (DATABASE_URL names one) a new
    database on that server, dropped afterwards; else a SQLite file in `directory`. The
    stack migrates it as it starts."""
    session_url = os.environ.get("DATABASE_URL", "")
    if not session_url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{directory / 'riffle.sqlite3'}"
        return
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = urlunsplit(urlsplit(session_url)._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(session_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
