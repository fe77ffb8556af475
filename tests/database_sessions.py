"""Who else is connected to the PostgreSQL test database as the session ends.

Django drops the test database at the end of the session and cannot while others are
connected ("database is being accessed by other users": a PytestWarning, and the
database stays behind). Naming each such connection's local process and last query
says which test left it open."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def other_sessions(connection: Any) -> list[str]:
    """One line per other connection to `connection`'s database: its backend pid,
    state, last query and, when it comes from this machine, the process holding it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, client_port, backend_start, left(query, 160) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()")
        rows = cursor.fetchall()
    return [f"backend {pid} ({state}, since {start:%H:%M:%S}) held by {_local_process(port)}: {query!r}"
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
