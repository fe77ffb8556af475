"""The example topologies shipped with `runtime.spec`, loaded into the studio."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from runtime import spec
from studio.topologies.models import Topology, TopologyVersion
from studio.workspaces.models import Workspace

logger = logging.getLogger(__name__)


def example_names() -> list[str]:
    return list(spec.list_examples())


def example_document(name: str) -> dict[str, Any]:
    """The example's document as JSON (what a TopologyVersion stores)."""
    document = spec.load_example(name)
    return document if isinstance(document, dict) else spec.dump_document(document)


def ensure_example(
    name: str, workspace: Workspace, *, created_by: Any = None,
) -> tuple[Topology, TopologyVersion | None]:
    """The example as a Topology of `workspace` with at least version 1.

    Returns the topology and the version created now (None when it was there already).
    The shipped document is stored even if the engine cannot run all of it yet; the
    version then carries those problems, and deploying it is refused until they go away.
    """
    document = example_document(name)
    with transaction.atomic():
        topology, _ = Topology.objects.get_or_create(
            workspace=workspace, name=document["name"],
            defaults={"description": document.get("description", ""), "created_by": created_by},
        )
        if topology.versions.exists():
            return topology, None
        version = topology.add_version(
            document, message="Example shipped with Riffle", created_by=created_by, allow_errors=True,
        )
    return topology, version
