from __future__ import annotations

from typing import Any

import pytest

from studio.connections.models import Connection
from studio.deployments.models import Deployment
from studio.topologies.models import TopologyVersion


@pytest.fixture
def deployment(wordcount_v1: TopologyVersion, alice: Any, offline_connection: Connection) -> Deployment:
    """A running word-count deployment (enqueueing happens on commit; tests roll back)."""
    return Deployment.create_running(wordcount_v1, connection=offline_connection, actor=alice)
