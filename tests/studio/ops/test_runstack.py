"""`manage.py runstack` as a user runs it: a real subprocess, real services, real signals."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from studio.lib.devservices import free_port

from tests.studio.ops.procscan import descendants, survivors

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


@pytest.fixture
def stack_env(tmp_path: Path) -> dict[str, str]:
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


@pytest.mark.slow
@pytest.mark.kafka
@pytest.mark.redis
@pytest.mark.timeout(480)
def test_it_runs_everything_and_sigint_leaves_no_process_behind(
    stack_env: dict[str, str], tmp_path: Path, redis_server_url: str
) -> None:
    import redis

    web_port, broker_port = free_port(), free_port()
    stack_env["REDIS_URL"] = with_db(redis_server_url, REDIS_DB)
    stack = Stack(["--port", str(web_port), "--broker-port", str(broker_port), "--state-dir", str(tmp_path)], stack_env)
    try:
        stack.wait_ready(240)
        status, body = healthz(web_port)
        assert status == 200, body
        assert body["ok"] is True
        assert f"127.0.0.1:{broker_port}" in body["kafka"]["detail"]
        assert f"Riffle is running at http://127.0.0.1:{web_port}/" in stack.output
        assert "log in as " in stack.output

        # /healthz does not wait for the Celery workers; give them time to start their pools.
        names = ("broker", "replicas", "worker", "beat", "web", "generator")
        deadline = time.monotonic() + 90
        while True:
            children = [p for p in descendants(stack.process.pid) if p.ppid == stack.process.pid]
            tree = {p.pid for p in descendants(stack.process.pid)}
            silent = [n for n in names if not any(line.startswith(f"{n} ") for line in stack.lines)]
            ready = all(re.search(rf"{node}@\S+ ready\.", stack.output) for node in ("replicas", "default"))
            if len(tree) >= len(children) + 6 and not silent and ready:
                break
            if time.monotonic() > deadline:
                pytest.fail(f"children {children}, tree {tree}, silent {silent}:\n{stack.output}")
            time.sleep(0.5)
        sessions = {p.sid for p in children}
        # Each direct child leads its own session: broker, two workers, beat, web, generator;
        # the workers' pools (4 + 2 processes) are grandchildren in the workers' sessions.
        assert {p.pid for p in children} == sessions
        assert len(children) == 6, children

        stack.process.send_signal(signal.SIGINT)
        code = stack.wait(timeout=120)
        assert code == 0, stack.output
        assert "all stopped" in stack.output
        assert survivors(tree, sessions) == [], f"orphans after SIGINT:\n{stack.output}"
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", web_port)) != 0
    finally:
        if stack.process.poll() is None:
            stack.kill()
        client = redis.Redis.from_url(stack_env["REDIS_URL"])
        client.flushdb()
        client.close()


@pytest.mark.slow
@pytest.mark.kafka
@pytest.mark.redis
@pytest.mark.timeout(480)
def test_a_child_that_dies_stops_everything_with_an_error(
    stack_env: dict[str, str], tmp_path: Path, kafka_bootstrap: str, redis_server_url: str
) -> None:
    import redis

    stack_env["KAFKA_BOOTSTRAP_SERVERS"] = kafka_bootstrap
    stack_env["REDIS_URL"] = with_db(redis_server_url, REDIS_DB)
    stack = Stack(["--port", str(free_port()), "--no-generator", "--state-dir", str(tmp_path)], stack_env)
    try:
        stack.wait_ready(240)
        children = [p for p in descendants(stack.process.pid) if p.ppid == stack.process.pid]
        web = [p for p in children if "daphne" in open(f"/proc/{p.pid}/cmdline", "rb").read().decode(errors="replace")]
        assert len(web) == 1, children
        tree = {p.pid for p in descendants(stack.process.pid)}
        os.killpg(web[0].pid, signal.SIGKILL)
        code = stack.wait(timeout=120)
        assert code == 1
        assert "web exited unexpectedly with code -9; stopping everything" in stack.output
        assert survivors(tree, {p.sid for p in children}) == [], stack.output
    finally:
        if stack.process.poll() is None:
            stack.kill()
        client = redis.Redis.from_url(stack_env["REDIS_URL"])
        client.flushdb()
        client.close()


def _single_error_line(stack: Stack, code: int) -> str:
    assert code != 0, stack.output
    assert "Traceback" not in stack.output, stack.output
    errors = [line for line in stack.lines if line.startswith("CommandError: ")]
    assert len(errors) == 1, stack.output
    return errors[0]


def test_an_unreachable_database_is_one_line_naming_address_and_setting(stack_env: dict[str, str]) -> None:
    port = free_port()
    stack_env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{port}/riffle"
    stack = Stack(["--port", str(free_port())], stack_env)
    line = _single_error_line(stack, stack.wait(timeout=90))
    assert f"cannot reach the database at postgresql postgres@127.0.0.1:{port}/riffle" in line
    assert f"DATABASE_URL=postgres://postgres@127.0.0.1:{port}/riffle" in line


@pytest.mark.redis
def test_an_unreachable_kafka_is_one_line_naming_the_setting(stack_env: dict[str, str], redis_server_url: str) -> None:
    dead = f"127.0.0.1:{free_port()}"
    stack_env["KAFKA_BOOTSTRAP_SERVERS"] = dead
    stack_env["REDIS_URL"] = with_db(redis_server_url, REDIS_DB)
    stack = Stack(["--port", str(free_port())], stack_env)
    line = _single_error_line(stack, stack.wait(timeout=90))
    assert f"no Kafka answer from {dead}" in line
    assert "KAFKA_BOOTSTRAP_SERVERS" in line


@pytest.mark.kafka
def test_an_unreachable_redis_is_one_line_naming_the_setting(stack_env: dict[str, str], kafka_bootstrap: str) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    stack_env["KAFKA_BOOTSTRAP_SERVERS"] = kafka_bootstrap
    stack_env["REDIS_URL"] = dead
    stack = Stack(["--port", str(free_port())], stack_env)
    line = _single_error_line(stack, stack.wait(timeout=90))
    assert f"no Redis answer from {dead}" in line
    assert "REDIS_URL" in line


def test_a_taken_web_port_is_one_line_naming_the_setting(stack_env: dict[str, str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        stack = Stack(["--port", str(port)], stack_env)
        line = _single_error_line(stack, stack.wait(timeout=60))
    assert f"port {port} on 127.0.0.1 is taken" in line
    assert "RIFFLE_PORT" in line


def test_the_login_line_comes_from_what_bootstrap_demo_printed() -> None:
    from studio.ops.management.commands.runstack import demo_login

    assert demo_login(["Loaded example topologies: word count", "  user: demo   password: s3cret pw"]) == "log in as demo / s3cret pw"
    assert demo_login(["nothing useful"]).startswith("log in with the demo user")
