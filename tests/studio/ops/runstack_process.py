"""`manage.py runstack` as a subprocess of a test: its output collected line by line,
waits on readiness and exit, and the environment it starts with."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.studio.ops.procscan import descendants

ROOT = Path(__file__).resolve().parents[3]
MANAGE = ROOT / "manage.py"
# Database 14 of the session's Redis: the stack's Celery queues stay apart from a
# developer's `make run` (database 0) and from other tests (see tests/conftest.py).
REDIS_DB = 14
SERVICE_VARS = ("KAFKA_BOOTSTRAP_SERVERS", "REDIS_URL", "DATABASE_URL", "RIFFLE_PORT")


class Stack:
    """A runstack subprocess whose output is collected line by line."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, str(MANAGE), "runstack", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in iter(self.process.stdout.readline, b""):
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while "Riffle is running at" not in self.output:
            if self.process.poll() is not None:
                pytest.fail(f"runstack exited with {self.process.returncode} before it was ready:\n{self.output}")
            if time.monotonic() > deadline:
                pytest.fail(f"runstack not ready within {timeout:.0f} s:\n{self.output}")
            time.sleep(0.5)

    def wait(self, timeout: float) -> int:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"runstack did not exit within {timeout:.0f} s; output:\n{self.output}")
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        for info in [*descendants(self.process.pid)]:
            try:
                os.killpg(info.sid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.process.kill()
        self.process.wait()


def with_db(url: str, db: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


def stack_environment(tmp_path: Path) -> dict[str, str]:
    """This process's environment without the service settings, and a SQLite file."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'riffle.sqlite3'}"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def healthz(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
