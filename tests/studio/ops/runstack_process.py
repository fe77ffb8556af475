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
from collections.abc import Callable
from pathlib import Path
from typing import Any
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


def stack_environment(tmp_path: Path, database_url: str | None = None) -> dict[str, str]:
    """This process's environment without the service settings, and `database_url`
    (by default a SQLite file)."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env["DATABASE_URL"] = database_url or f"sqlite:///{tmp_path / 'riffle.sqlite3'}"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def wordcount_stack(tmp_path: Path, kafka_bootstrap: str, redis_server_url: str,
                    create_topic: Callable[..., str], database_url: str | None = None,
                    ) -> tuple[dict[str, str], str, str]:
    """The environment of a stack on the session's broker and Redis, and the input and
    output topics (2 partitions each) of a word count to deploy on it."""
    env = stack_environment(tmp_path, database_url)
    env["KAFKA_BOOTSTRAP_SERVERS"] = kafka_bootstrap
    env["REDIS_URL"] = with_db(redis_server_url, REDIS_DB)
    return env, create_topic("lines", partitions=2), create_topic("counts", partitions=2)


def healthz(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


# Scripts for `manage_shell` on a stack's database (bootstrap_demo's user, workspace
# and `local` connection): create a running deployment; read its state.
CREATE = """
import json, os
from django.contrib.auth import get_user_model
from studio.connections.models import Connection
from studio.deployments.models import Deployment
from studio.topologies.models import Topology
from studio.workspaces.models import Workspace

user = get_user_model().objects.get(username="demo")
workspace = Workspace.objects.get(slug="demo")
topology = Topology.objects.create(workspace=workspace, name=os.environ["DRILL_APP"], created_by=user)
version = topology.add_version(json.loads(os.environ["DRILL_DOCUMENT"]), message="drill", created_by=user)
connection = Connection.objects.get(workspace=workspace, name="local")
deployment = Deployment.create_running(version, connection=connection, actor=user,
                                       application_id=os.environ["DRILL_APP"],
                                       replicas=int(os.environ["DRILL_REPLICAS"]))
print(json.dumps({"id": deployment.pk}))
"""

STATE = """
import json, os
from studio.deployments.models import Deployment
deployment = Deployment.objects.get(pk=int(os.environ["DRILL_DEPLOYMENT"]))
print(json.dumps({"desired": deployment.desired_state, "observed": deployment.observed_state,
                  "error": deployment.last_error,
                  "replicas": list(deployment.replica_set.order_by("pk").values_list("pk", "state"))}))
"""


def manage_shell(env: dict[str, str], code: str, **extra: str) -> dict[str, Any]:
    """Run `code` in `manage.py shell` against the stack's database; its last line of
    output, as JSON."""
    done = subprocess.run([sys.executable, str(MANAGE), "shell", "-c", code], env={**env, **extra}, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
