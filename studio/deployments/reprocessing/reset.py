"""Reset and replay: the plan (a dry run), the reset itself, and the Celery task body
that stops the deployment, resets it and starts it again."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from runtime.state.checkpoint import KEY_PREFIX as CHECKPOINT_KEY_PREFIX
from runtime.tools.reset import GroupActiveError, ResetError, ResetPlan, ResetTarget, reset_application
from studio.deployments import heartbeats
from studio.deployments.models import (
    AuditEvent,
    Deployment,
    Replica,
    ReprocessOperation,
)
from studio.deployments.reprocessing.common import (
    TIMEOUT_S,
    TOPIC_RE,
    NothingChangedError,
    OutputRedirectDict,
    ReprocessError,
    ResetPlanDict,
    client_config,
    create_topics,
    input_topics,
    servers_of,
    store_names,
    topic_partitions,
)
from studio.deployments.reprocessing.side_by_side import discard_state

logger = logging.getLogger(__name__)

# -- request values -----------------------------------------------------------------------


def target_from_request(to: Any, *, now_ms: int | None = None) -> tuple[ResetTarget, dict[str, Any]]:
    """`"earliest"`, `{"datetime": iso with zone}` or `{"duration": "PT1H" | seconds}` → the
    runtime target and its JSON form (a duration is resolved against now, the request's
    time). Raises ValueError with the reason."""
    from runtime.tools.reset import parse_duration

    if to == "earliest":
        return ResetTarget.earliest(), {"kind": "earliest"}
    if isinstance(to, dict) and set(to) == {"datetime"} and isinstance(to["datetime"], str):
        try:
            moment = datetime.fromisoformat(to["datetime"].strip())
        except ValueError:
            raise ValueError(f"not an ISO-8601 date-time: {to['datetime']!r}") from None
        if moment.tzinfo is None:
            raise ValueError("give the date-time's zone, e.g. 2026-12-03T10:00:00Z")
        ms = int(moment.timestamp() * 1000)
        return ResetTarget.at(ms), {"kind": "timestamp", "timestamp_ms": ms, "datetime": moment.isoformat()}
    if isinstance(to, dict) and set(to) == {"duration"}:
        raw = to["duration"]
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise ValueError("a duration is an ISO-8601 duration (\"PT1H\") or a number of seconds")
        seconds = float(raw) if not isinstance(raw, str) else parse_duration(raw).total_seconds()
        if not math.isfinite(seconds) or seconds <= 0:
            raise ValueError("the duration must be positive")
        now = now_ms if now_ms is not None else int(time.time() * 1000)
        ms = int(now - seconds * 1000)
        return ResetTarget.at(ms), {"kind": "timestamp", "timestamp_ms": ms, "duration_s": seconds}
    raise ValueError('"earliest", {"datetime": "<ISO-8601 with zone>"} or {"duration": "PT1H" | seconds}')


def target_from_json(data: Mapping[str, Any]) -> ResetTarget:
    if data.get("kind") == "timestamp":
        return ResetTarget.at(int(data["timestamp_ms"]))
    return ResetTarget.earliest()


def check_redirects(deployment: Deployment, redirects: Mapping[str, str]) -> None:
    """Raises ReprocessError (400, field output_topic) for a redirect that cannot be."""
    outputs = deployment.physical_output_topics()
    inputs = set(deployment.version.input_topics())
    for sink, new in redirects.items():
        if sink not in outputs:
            raise ReprocessError(f"{sink!r} is not an output topic of the deployment "
                                 f"({', '.join(outputs) or 'it has none'}).", status=400, field="output_topic")
        if not isinstance(new, str) or not TOPIC_RE.match(new) or new in (".", ".."):
            raise ReprocessError(f"{new!r} is not a legal topic name (1 to 249 letters, digits, "
                                 "'.', '_' or '-').", status=400, field="output_topic")
        if new in inputs or new == outputs[sink] or new.startswith(deployment.application_id + "-"):
            raise ReprocessError(f"{new!r} cannot be the new output of {sink!r}: it is an input, the "
                                 "current output or an internal topic name.", status=400, field="output_topic")


# -- reset --------------------------------------------------------------------------------


def reset(deployment: Deployment, target: ResetTarget, target_json: dict[str, Any],
          redirects: Mapping[str, str], *, dry_run: bool) -> ResetPlanDict:
    """Plan (dry run, the deployment may run) or carry out the reset with runtime's tool.

    A real reset needs the group inactive (GroupActiveError otherwise) and, when it
    went through, sets the deployment's output redirects (creating the new topics)."""
    topics = input_topics(deployment)
    existing = topic_partitions(deployment)
    current = deployment.physical_output_topics()
    moves: list[OutputRedirectDict] = [
        {"sink_topic": sink, "current": current[sink], "new": new, "exists": new in existing}
        for sink, new in redirects.items()
    ]
    absent = [t for t in topics if t not in existing]
    if absent:
        raise NothingChangedError(f"Cannot reset {deployment.application_id}: topic(s) not found: {', '.join(absent)}")
    if not dry_run and moves:
        # Before the reset: new empty topics change nothing the deployment reads.
        create_topics(deployment, {m["new"]: existing.get(m["current"], 1) for m in moves})
    try:
        plan = reset_application(
            deployment.application_id, servers_of(deployment), input_topics=topics,
            target=target, redis_url=settings.REDIS_URL, dry_run=dry_run,
            client_config=client_config(deployment, "reset"), timeout=TIMEOUT_S,
            require_inactive=not dry_run,
        )
    except GroupActiveError:
        raise
    except ResetError as exc:
        if "not found" in str(exc):   # checked before the tool changes anything
            raise NothingChangedError(f"Cannot reset {deployment.application_id}: {exc}") from exc
        raise ReprocessError(f"Cannot reset {deployment.application_id}: {exc}", status=502) from exc
    if not dry_run and moves:
        with transaction.atomic():
            locked = Deployment.objects.select_for_update().get(pk=deployment.pk)
            locked.output_topic_map = {**locked.output_topic_map, **dict(redirects)}
            locked.save(update_fields=["output_topic_map", "updated_at"])
        deployment.refresh_from_db()
    return _plan_dict(deployment, plan, target_json, moves)


def _plan_dict(deployment: Deployment, plan: ResetPlan, target_json: dict[str, Any],
               moves: list[OutputRedirectDict]) -> ResetPlanDict:
    return {
        "deployment": deployment.pk, "application_id": deployment.application_id,
        "group": deployment.application_id, "dry_run": plan.dry_run, "target": target_json,
        "input_partitions": [
            {"topic": t, "partition": p, "committed": plan.committed_offsets.get((t, p)), "target": o}
            for (t, p), o in sorted(plan.input_offsets.items())
        ],
        "internal_topics": list(plan.internal_topics),
        "stores": store_names(deployment),
        "checkpoint_key_pattern": f"{CHECKPOINT_KEY_PREFIX}:{deployment.application_id}:*",
        "checkpoint_keys": plan.checkpoint_keys,
        "output_redirects": moves,
    }


# -- the operation task's body ------------------------------------------------------------


def wait_until_stopped(deployment: Deployment, timeout: float, poll: float = 0.5) -> None:
    """Until no replica of the deployment has a live heartbeat (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        active = list(Replica.objects.filter(deployment=deployment, state__in=Replica.ACTIVE).values_list("pk", flat=True))
        beating = heartbeats.read(active)
        if not beating:
            return
        if time.monotonic() >= deadline:
            raise NothingChangedError(
                f"{len(beating)} replica(s) of {deployment.application_id} still run {timeout:.0f} s after "
                f"the stop (replicas {', '.join(map(str, sorted(beating)))}); nothing was changed."
            )
        time.sleep(poll)


def _retry_while_group_active(action: Any, deadline: float) -> Any:
    """The group empties a little after the last replica left it (a session timeout
    after a crash); retry until the deadline."""
    while True:
        try:
            return action()
        except GroupActiveError as exc:
            if time.monotonic() >= deadline:
                raise NothingChangedError(f"{exc} Nothing was changed.") from exc
            time.sleep(1.0)


def run_operation(operation_id: int) -> str:
    """Carry out a pending reset or discard; returns the operation's final state."""
    claimed = ReprocessOperation.objects.filter(pk=operation_id, state="pending").update(
        state="running", updated_at=timezone.now())
    operation = ReprocessOperation.objects.select_related("deployment__version", "created_by").get(pk=operation_id)
    if not claimed:
        return operation.state
    operation.announce()
    deployment = operation.deployment
    actor = operation.created_by
    was_running = deployment.desired_state == "running"
    timeout = float(settings.RIFFLE_REPROCESS_STOP_TIMEOUT_S)
    try:
        deployment.stop(actor=actor)
        wait_until_stopped(deployment, timeout)
        deadline = time.monotonic() + timeout
        if operation.kind == "reset":
            target = target_from_json(operation.request["target"])
            redirects = operation.request.get("output_topic") or {}
            result = _retry_while_group_active(
                lambda: reset(deployment, target, operation.request["target"], redirects, dry_run=False), deadline)
            AuditEvent.record(actor, "deployment.reset.done", deployment, operation=operation.pk,
                              input_partitions=len(result["input_partitions"]), output_topic=redirects,
                              internal_topics=result["internal_topics"], checkpoint_keys=result["checkpoint_keys"])
            if was_running:
                deployment.start(actor=actor, operation=operation.pk)
        else:
            result = _retry_while_group_active(lambda: discard_state(deployment, operation.request, actor=actor), deadline)
        operation.finish("done", "", dict(result))
    except Exception as exc:
        if not isinstance(exc, ReprocessError):
            logger.exception("%s of deployment %s failed", operation.kind, deployment.application_id)
        if not isinstance(exc, NothingChangedError):
            message = f"{exc} It may have changed part of the state: the deployment is left stopped."
        else:
            message = str(exc)
            if was_running and operation.kind == "reset":
                deployment.start(actor=actor, operation=operation.pk)   # nothing changed: run as before
        operation.finish("failed", message)
        AuditEvent.record(actor, f"deployment.{operation.kind}.failed", deployment, operation=operation.pk,
                          message=message)
    return operation.state


