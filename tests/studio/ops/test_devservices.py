"""The development services: a real Tansu broker and a real private redis-server."""

from __future__ import annotations

import os
import socket

import pytest

from studio.lib import devservices
from studio.lib.devservices import DevServiceError

from tests.studio.ops.procscan import survivors


def test_free_port_can_be_bound() -> None:
    port = devservices.free_port()
    assert devservices.port_is_free(port)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        assert not devservices.port_is_free(port)


def test_a_port_left_in_time_wait_by_a_stopped_server_is_free_again() -> None:
    """`make run`, Ctrl-C, `make run`: the web server's port has connections in
    TIME_WAIT (the server closed them first), which a restarted server may bind."""
    port = devservices.free_port()
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen()
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()          # the server's side closes first: its end goes to TIME_WAIT
        client.recv(1)
        client.close()
    with open("/proc/net/tcp") as table:
        states = [line.split()[3] for line in table.readlines()[1:] if line.split()[1].endswith(f":{port:04X}")]
    assert "06" in states, f"no connection of port {port} in TIME_WAIT (states {states})"
    assert devservices.port_is_free(port)


@pytest.mark.kafka
def test_started_broker_answers_metadata_and_stops_completely() -> None:
    broker = devservices.start_broker()
    try:
        assert broker.bootstrap == f"127.0.0.1:{broker.port}"
        probe = devservices.probe_kafka(broker.bootstrap)
        assert probe.ok, probe.detail
        assert "1 broker(s)" in probe.detail
        assert survivors(set(), {broker.pid}), "the broker runs in its own session"
    finally:
        broker.stop()
    assert broker.process.returncode is not None
    assert survivors({broker.pid}, {broker.pid}) == []
    assert not devservices.kafka_answers(broker.bootstrap, timeout=1.0)
    broker.stop()  # idempotent


@pytest.mark.kafka
def test_broker_on_a_taken_port_fails_with_the_port_in_the_message() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(DevServiceError, match=f"port {port} on 127.0.0.1 is taken"):
            devservices.start_broker(port)


def test_kafka_answers_false_when_nothing_listens() -> None:
    probe = devservices.probe_kafka(f"127.0.0.1:{devservices.free_port()}", timeout=1.0)
    assert not probe.ok
    assert "no Kafka answer from 127.0.0.1:" in probe.detail


@pytest.mark.redis
def test_private_redis_answers_and_stops_completely() -> None:
    redis = devservices.start_redis()
    try:
        assert redis.url == f"redis://127.0.0.1:{redis.port}/0"
        assert devservices.redis_answers(redis.url)
        import redis as redis_client

        client = redis_client.Redis.from_url(redis.url)
        # --save "" and --appendonly no: nothing is ever written to disk.
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
        client.close()
    finally:
        redis.stop()
    assert survivors({redis.pid}, {redis.pid}) == []
    assert not devservices.redis_answers(redis.url, timeout=0.5)


def test_redis_answers_false_when_nothing_listens() -> None:
    probe = devservices.probe_redis(f"redis://127.0.0.1:{devservices.free_port()}/0", timeout=0.5)
    assert not probe.ok
    assert "no Redis answer from redis://127.0.0.1:" in probe.detail


def test_missing_redis_server_names_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DevServiceError, match=r"apt-get install -y redis-server"):
        devservices.start_redis()


def test_redact_url_hides_only_the_password() -> None:
    assert devservices.redact_url("redis://:s3cret@cache:6379/2") == "redis://:***@cache:6379/2"
    assert devservices.redact_url("postgres://riffle:pw@db/riffle") == "postgres://riffle:***@db/riffle"
    assert devservices.redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_command_line_reports_reachability_by_exit_code() -> None:
    port = devservices.free_port()
    assert devservices.main(["redis-answers", f"redis://127.0.0.1:{port}/0"]) == 1
    assert devservices.main(["nonsense"]) == 2
    assert os.environ.get("PATH")  # untouched by the earlier monkeypatching test
