"""GET /api/deployments/<id>/samples/?node=: the latest samples of each node."""

from __future__ import annotations

import pytest
import redis
from django.test import Client

from studio.deployments.models import Deployment
from studio.monitoring.samples import LiveFeed

pytestmark = pytest.mark.redis


@pytest.fixture
def relayed(deployment: Deployment, studio_redis: redis.Redis) -> Deployment:
    feed = LiveFeed(deployment.pk, 1)
    feed.start()
    for node, offset in [("split", 0), ("count", 0), ("split", 1)]:
        feed.on_sample({"node": node, "task": "0_0", "topic": "lines", "partition": 0, "offset": offset,
                        "key": f"k{offset}", "value": {"at": node}, "timestamp": 100 + offset})
    feed.close()
    return deployment


def test_it_returns_every_node_newest_first(api: Client, relayed: Deployment) -> None:
    response = api.get(f"/api/deployments/{relayed.pk}/samples/")
    assert response.status_code == 200
    samples = response.json()["samples"]
    assert sorted(samples) == ["count", "split"]
    assert [(s["offset"], s["key"], s["value"]) for s in samples["split"]] == [
        (1, "k1", {"at": "split"}), (0, "k0", {"at": "split"})]


def test_it_filters_by_node(api: Client, relayed: Deployment) -> None:
    samples = api.get(f"/api/deployments/{relayed.pk}/samples/?node=count").json()["samples"]
    assert list(samples) == ["count"] and samples["count"][0]["timestamp"] == 100
    assert api.get(f"/api/deployments/{relayed.pk}/samples/?node=nope").json() == {"samples": {}}


def test_an_unknown_deployment_is_404(api: Client) -> None:
    assert api.get("/api/deployments/4242/samples/").status_code == 404
