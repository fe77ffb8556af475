"""Who else is connected to the PostgreSQL test database as the session ends.

Django drops the test database at the end of the session and cannot while others are
connected ("database is being accessed by other users": a PytestWarning, and the
database stays behind). Naming each such connection's local process and last query
says which test left it open."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit


class OpenedDuring:
    """Which test each connection to the test database was opened during: the backends
    connected to it are listed before and after every test, by a connection of this
    class's own to the server's `postgres` database (so that it never holds the test
    database itself)."""

    def __init__(self, session_url: str) -> None:
        import psycopg

        admin = urlunsplit(urlsplit(session_url)._replace(path="/postgres", scheme="postgresql"))
        self._connection = psycopg.connect(admin, autocommit=True, connect_timeout=5)
        self.tests: dict[int, str] = {}   # backend pid -> the test it appeared during

    def backends(self, database: str) -> set[int] | None:
        """The backends connected to `database`; None once the watch's own connection
        failed (a diagnosis must never fail a test: it stops instead)."""
        import psycopg

        if self._connection.closed:
            return None
        try:
            rows = self._connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))
            return {pid for (pid,) in rows.fetchall()}
        except psycopg.Error:
            self._connection.close()
            return None

    def note(self, test: str, database: str, before: set[int] | None) -> None:
        after = self.backends(database)
        if before is None or after is None:
            return
        for pid in after - before:
            self.tests.setdefault(pid, test)

    def close(self) -> None:
        self._connection.close()


def other_sessions(connection: Any, opened_during: dict[int, str] | None = None) -> list[str]:
    """One line per other connection to `connection`'s database: its backend pid,
    state, last query, the process holding it when it comes from this machine, and the
    test it was opened during when `opened_during` (backend pid -> test) knows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, client_port, backend_start, left(query, 160) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()")
        rows = cursor.fetchall()
    during = opened_during or {}
    return [f"backend {pid} ({state}, since {start:%H:%M:%S}) held by {_local_process(port)}"
            f"{f', opened during {during[pid]}' if pid in during else ''}: {query!r}"
            for pid, state, port, start, query in rows]


def _local_process(port: int | None) -> str:
    if port is None or port < 0:
        return "a Unix socket client"
    inode = _socket_inode(port)
    if inode is None:
        return f"port {port}, no local process"
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) == f"socket:[{inode}]" for fd in (proc / "fd").iterdir()):
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                me = " (this pytest process)" if int(proc.name) == os.getpid() else ""
                return f"pid {proc.name}{me} {command[:160]!r}"
        except OSError:
            continue
    return f"port {port}, process not found"


def _socket_inode(port: int) -> str | None:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                return fields[9]
    return None
