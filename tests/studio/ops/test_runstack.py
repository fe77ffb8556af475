"""`manage.py runstack` as a user runs it: a real subprocess, real services, real signals."""

from __future__ import annotations

import os
import re
import signal
import socket
import time
from pathlib import Path

import pytest

from studio.lib.devservices import free_port

from tests.studio.ops.procscan import cmdline, descendants, survivors
from tests.studio.ops.runstack_process import REDIS_DB, Stack, healthz, stack_environment, with_db


@pytest.fixture
def stack_env(tmp_path: Path) -> dict[str, str]:
    return stack_environment(tmp_path)


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
        names = ("broker", "replicas", "worker", "beat", "web", "web-2", "generator")
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
        # Each direct child leads its own session: broker, two workers, beat, two web
        # processes, generator; the workers' pools (4 + 2 processes) are grandchildren in
        # the workers' sessions.
        assert {p.pid for p in children} == sessions
        assert len(children) == 7, children

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
        web = [p for p in children if any("daphne" in arg for arg in cmdline(p.pid))]
        assert len(web) == 2, children  # two daphne processes share the port
        # A PostgreSQL connection pool in the web processes only (studio/settings.py).
        for child in children:
            environ = Path(f"/proc/{child.pid}/environ").read_bytes().split(b"\0")
            assert (b"RIFFLE_DATABASE_POOL_MAX=16" in environ) == (child in web), cmdline(child.pid)
        tree = {p.pid for p in descendants(stack.process.pid)}
        victim = max(web, key=lambda p: p.pid)  # the one started second, "web-2"
        os.killpg(victim.pid, signal.SIGKILL)
        code = stack.wait(timeout=120)
        assert code == 1
        assert "web-2 exited unexpectedly with code -9; stopping everything" in stack.output
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
