"""GET /api/deployments/<id>/errors/: the latest record errors, newest first, paged."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from django.test import Client

from studio.deployments.models import Deployment
from studio.monitoring.samples import LiveFeed

pytestmark = pytest.mark.redis


def relay_errors(deployment: Deployment, offsets: range) -> None:
    feed = LiveFeed(deployment.pk, 2)
    feed.start()
    for offset in offsets:
        feed.on_error({"node": "split", "topic": "lines", "partition": 0, "offset": offset,
                       "key": b"k", "value": b'{"bad": true}', "kind": "ProcessingError",
                       "type": "ValueError", "message": "boom", "decision": "dlq",
                       "dead_letter_topic": "dead"})
    feed.close()


def test_it_lists_the_latest_errors_newest_first(
    api: Client, deployment: Deployment, studio_redis: redis.Redis
) -> None:
    relay_errors(deployment, range(3))
    response = api.get(f"/api/deployments/{deployment.pk}/errors/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [e["offset"] for e in body["results"]] == [2, 1, 0]
    first = body["results"][0]
    assert (first["node"], first["key"], first["value"], first["decision"], first["dead_letter_topic"],
            first["replica"]) == ("split", "k", "{\"bad\": true}", "dlq", "dead", "2")


def test_it_pages(api: Client, deployment: Deployment, studio_redis: redis.Redis) -> None:
    relay_errors(deployment, range(7))
    body = api.get(f"/api/deployments/{deployment.pk}/errors/?page_size=3&page=2").json()
    assert body["count"] == 7
    assert [e["offset"] for e in body["results"]] == [3, 2, 1]


def test_no_errors_is_an_empty_page(api: Client, deployment: Deployment, studio_redis: redis.Redis) -> None:
    assert api.get(f"/api/deployments/{deployment.pk}/errors/").json()["results"] == []


def test_a_redis_outage_is_503(api: Client, deployment: Deployment, settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = api.get(f"/api/deployments/{deployment.pk}/errors/")
    assert response.status_code == 503
    assert response.json()["message"].startswith("Cannot read live records")


def test_an_unknown_deployment_is_404(api: Client) -> None:
    assert api.get("/api/deployments/4242/errors/").status_code == 404


def test_anonymous_is_refused(anonymous: Client, deployment: Deployment) -> None:
    assert anonymous.get(f"/api/deployments/{deployment.pk}/errors/").status_code == 401
