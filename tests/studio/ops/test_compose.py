"""docker-compose.yml and Dockerfile cannot run here (no Docker engine): check them by reading."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
STUDIO_SERVICES = ("migrate", "web", "worker", "worker-default", "beat")
SHARED_SETTINGS = ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_it_is_valid_yaml_with_every_service() -> None:
    services = compose()["services"]
    assert set(services) == {"kafka", "redis", "postgres", *STUDIO_SERVICES}


def test_kafka_is_apache_kafka_in_kraft_mode_on_one_node() -> None:
    kafka = compose()["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    for key in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"):
        assert env[key] == 1, "a single node cannot hold more replicas"


def test_studio_services_share_the_settings_of_make_run() -> None:
    document = compose()
    services = document["services"]
    for name in STUDIO_SERVICES:
        env = services[name]["environment"]
        for setting in SHARED_SETTINGS:
            assert setting in env, f"{name} lacks {setting}"
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        assert env["DATABASE_URL"].startswith("postgres://riffle:riffle@postgres:5432/")
        assert env["DJANGO_DEBUG"] == "0"
        # Production: connection secrets are encrypted with keys from the environment,
        # and compose refuses to start without them rather than fall back to none.
        assert env["RIFFLE_SECRETS_KEYS"].startswith("${RIFFLE_SECRETS_KEYS:?")


def test_workers_consume_the_queues_runstack_uses() -> None:
    services = compose()["services"]
    assert services["worker"]["command"][3:6] == ["worker", "-Q", "replicas"]
    assert services["worker-default"]["command"][3:6] == ["worker", "-Q", "celery"]
    assert "beat" in services["beat"]["command"]
    assert services["web"]["command"][-1] == "studio.asgi:application"
    # a connection pool in the web process only (studio/settings.py)
    assert int(services["web"]["environment"]["RIFFLE_DATABASE_POOL_MAX"]) > 0
    assert all("RIFFLE_DATABASE_POOL_MAX" not in services[name]["environment"] for name in ("worker", "worker-default", "beat"))
    runstack = (ROOT / "studio" / "ops" / "management" / "commands" / "runstack.py").read_text()
    assert '"-Q", "replicas"' in runstack and '"-Q", "celery"' in runstack


def test_services_wait_for_healthy_dependencies_and_keep_data_in_named_volumes() -> None:
    document = compose()
    services = document["services"]
    for name in ("kafka", "redis", "postgres", "web", "worker", "worker-default"):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    for name in ("web", "worker", "worker-default", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}
        for infra in ("postgres", "redis", "kafka"):
            assert depends[infra] == {"condition": "service_healthy"}
    declared = set(document["volumes"])
    used = {v.split(":", 1)[0] for s in services.values() for v in s.get("volumes", [])}
    assert used == declared == {"kafka-data", "redis-data", "postgres-data"}


def test_the_image_builds_the_frontend_with_node_20_on_python_3_11_slim() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, flags=re.M)
    assert stages[0].startswith("node:20")
    assert stages[-1] == "python:3.11-slim"
    assert "npm ci" in dockerfile and "npm run build" in dockerfile
    assert "COPY --from=frontend" in dockerfile
