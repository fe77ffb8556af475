"""The body of one replica: run a deployment's pinned version with runtime.StreamsApp.

Kept apart from the Celery task so that it runs the same in a worker and in a test. It
returns when the replica is no longer wanted, when the app fails, or when `stop` is set
(worker shutdown), always closing the app first.

Process limits (runtime.exec.limits): when the replica has its process to itself
(``own_process``: a prefork pool child), the runner limits the process's address space
(``RIFFLE_REPLICA_MEMORY_LIMIT_MB``) and the engine's batch CPU watchdog
(``RIFFLE_BATCH_CPU_LIMIT_MS``) ends the process once it has reported a stuck batch: a
Python thread cannot be stopped, and the pool and the reconciler replace the replica.
In a shared process the watchdog only reports (the app fails, the deployment shows why),
since exiting would take the other replicas down too.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import traceback
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, transaction

from runtime import Serdes, StreamsApp
from runtime.exec.limits import apply_memory_limit
from studio.connections import kafka
from studio.connections.models import ClientConfig
from studio.deployments import heartbeats, queries, reconciler
from studio.deployments.models import Deployment, OnError, Replica
from studio.deployments.query_server import QueryServer
from studio.monitoring import keys
from studio.monitoring.connections import sync_redis
from studio.monitoring.publisher import MetricsPublisher
from studio.monitoring.samples import LiveFeed

logger = logging.getLogger(__name__)

POLL_INTERVAL_S = 1.0
CLOSE_TIMEOUT_S = 30.0


def streams_config(deployment: Deployment, *, own_process: bool = False) -> ClientConfig:
    """The StreamsApp config of a deployment: Kafka Streams keys plus Riffle's own.
    ``own_process``: the replica may end its process when a batch exceeds its CPU limit.

    Where and how to connect (bootstrap servers, security.*, sasl.*, ssl.*) comes from the
    deployment's connection: its settings win over RIFFLE_STREAMS_CONFIG's. The
    result holds the connection's secrets, decrypted: hand it to the app, never log it
    (its repr masks them). Raises UnreadableSecretError when they cannot be decrypted,
    RefusedClientSettingsError when the connection's extra client settings are refused.
    """
    config = ClientConfig({
        "application.id": deployment.application_id,
        "processing.guarantee": deployment.processing_guarantee,
        "commit.interval.ms": 1000,
        "riffle.redis.url": settings.REDIS_URL,
        "riffle.metrics.interval.ms": 1000,
        "riffle.batch.cpu.limit.ms": settings.RIFFLE_BATCH_CPU_LIMIT_MS,
        "riffle.batch.cpu.limit.action": "exit" if own_process else "log",
        "riffle.sample.records.per.second": settings.RIFFLE_SAMPLES_PER_SECOND,
        **settings.RIFFLE_STREAMS_CONFIG,
        # The deployment's own choice wins over RIFFLE_STREAMS_CONFIG's handlers.
        **error_handling_config(deployment.on_error, deployment.dead_letter_topic),  # type: ignore[arg-type]
    })
    config.update(deployment.connection.streams_client_config())
    return config


def error_handling_config(on_error: OnError, dead_letter_topic: str) -> dict[str, str]:
    """Kafka Streams' handler keys for a deployment's choice. The production handler
    keeps its default (fail): a record the broker refuses is not bad input."""
    handler = "log-and-fail" if on_error == "fail" else "log-and-continue"
    config = {"deserialization.exception.handler": handler, "processing.exception.handler": handler}
    if on_error == "dead_letter":
        config["errors.dead.letter.queue.topic.name"] = dead_letter_topic
    return config


class ReplicaRunner:
    def __init__(
        self, replica_id: int, *, task_id: str = "", stop: threading.Event | None = None,
        poll_interval: float = POLL_INTERVAL_S, own_process: bool = False,
    ) -> None:
        self.replica_id = replica_id
        self.own_process = own_process
        self.task_id = task_id
        self.stop = stop or threading.Event()
        self.poll_interval = poll_interval
        self.app: Any = None
        self.query_server: QueryServer | None = None
        self.ready = False
        self._exit_recorded = False
        self._last_error: str | None = None

    def run(self) -> str:
        """Run until told otherwise; returns the replica's final state."""
        replica = (
            Replica.objects.select_related("deployment__version__topology", "deployment__connection")
            .filter(pk=self.replica_id).first()
        )
        if replica is None:
            logger.warning("replica %s does not exist; nothing to run", self.replica_id)
            return "missing"
        if not replica.is_wanted():
            # A stale task from the queue: its slot was retired or handed on meanwhile.
            replica.end("stopped")
            return replica.state
        deployment = replica.deployment
        # Heartbeat before claiming, so the reconciler never sees a running replica
        # without one.
        self._beat("CREATED")
        claimed = Replica.objects.filter(pk=replica.pk, state="pending").update(
            state="running", host=socket.gethostname(), pid=os.getpid(),
            celery_task_id=self.task_id or replica.celery_task_id,
        )
        if not claimed:
            heartbeats.clear(replica.pk)
            replica.refresh_from_db()
            return replica.state
        logger.info("replica %s: running %s (version %s)", replica.pk,
                    deployment.application_id, deployment.version.number)

        publisher = MetricsPublisher(deployment.pk, replica.pk)
        # Samples, record errors and status changes for the dashboard (never blocks).
        feed = LiveFeed(deployment.pk, replica.pk)
        feed.start()
        final = "stopped"
        try:
            try:
                if self.own_process and settings.RIFFLE_REPLICA_MEMORY_LIMIT_MB:
                    # Before the app's threads start; a limit below what the process
                    # already uses fails the start with the reason.
                    apply_memory_limit(settings.RIFFLE_REPLICA_MEMORY_LIMIT_MB)
                topology = deployment.compile()
                if deployment.on_error == "dead_letter":
                    self._ensure_dead_letter_topic(deployment)
                on_metrics = functools.partial(self._on_metrics, publisher, replica)
                self.app = StreamsApp(topology, streams_config(deployment, own_process=self.own_process),
                                      on_metrics=on_metrics, on_sample=feed.on_sample,
                                      on_error=feed.on_error)
                self.app.set_state_listener(functools.partial(self._on_state, feed, self.app))
                self.app.start()
                self._serve_queries(replica.pk, deployment, topology)
            except Exception as exc:
                # The traceback, scrubbed like the message: a client's error could quote a secret.
                trace = deployment.connection.scrub("".join(traceback.format_exception(exc)))
                logger.error("replica %s: cannot start %s\n%s", replica.pk, deployment.application_id, trace)
                self._fail(deployment, f"cannot start: {exc}")
                final = "failed"
                return final
            final = self._watch(replica, publisher)
            return final
        finally:
            self._close()
            replica.end(final)  # type: ignore[arg-type]
            feed.on_state(final, None, self._last_error if final == "failed" else None, scope="replica")
            feed.close()
            self._cleanup(deployment.pk, replica.pk, final)

    @staticmethod
    def _ensure_dead_letter_topic(deployment: Deployment) -> None:
        """Kafka Streams expects the dead-letter topic to exist; the studio offered one,
        so it makes it. A cluster that cannot be asked now does not stop the start: the
        app waits out an unreachable broker, and a dead-letter write that fails is
        reported as a production error."""
        topic = deployment.dead_letter_topic
        try:
            if kafka.ensure_topic(deployment.connection, topic):
                logger.info("%s: created dead-letter topic %s", deployment.application_id, topic)
        except kafka.KafkaCallError as exc:
            logger.warning("%s: cannot make sure dead-letter topic %s exists: %s",
                           deployment.application_id, topic, exc)

    @staticmethod
    def _on_state(feed: LiveFeed, app: Any, new: str, old: str) -> None:
        # Called with the app's lock held: only read, then queue.
        error = app.error if new == "ERROR" else None
        feed.on_state(new, old, str(error) if error is not None else None)

    def _on_metrics(self, publisher: MetricsPublisher, replica: Replica, snapshot: dict[str, Any]) -> None:
        publisher(snapshot)
        if not self.own_process or snapshot.get("state") != "ERROR" or self._exit_recorded:
            return
        tripped = [e for e in snapshot.get("errors") or () if e.get("type") == "BatchCpuLimitExceeded"]
        if tripped:
            # Called by the engine's watchdog just before it ends this process: the
            # loop in _watch will never see the ERROR, so record the reason here.
            self._exit_recorded = True
            try:
                self._fail(replica.deployment, str(tripped[-1].get("message")))
                replica.end("failed")
                heartbeats.clear(replica.pk)
                close_old_connections()
            except Exception:
                logger.exception("replica %s: cannot record the batch CPU limit", replica.pk)

    def _watch(self, replica: Replica, publisher: MetricsPublisher) -> str:
        deployment = replica.deployment
        while True:
            state = str(self.app.state)
            self.ready = self.ready or state == "RUNNING"
            tasks = list((publisher.latest or {}).get("tasks") or [])
            try:
                self._beat(state, tasks)
            except Exception as exc:
                # A short Redis outage must not stop the stream; an expired heartbeat
                # will, and the reconciler then starts a replacement.
                logger.warning("replica %s: heartbeat failed: %s", replica.pk, exc)
            if state == "ERROR":
                self._fail(deployment, _app_error(self.app, publisher))
                return "failed"
            if state == "NOT_RUNNING":
                self._fail(deployment, "the stream application stopped unexpectedly")
                return "failed"
            if not self._still_wanted(replica):
                logger.info("replica %s: no longer wanted; stopping", replica.pk)
                return "stopped"
            if self.stop.wait(self.poll_interval):
                logger.info("replica %s: worker shutting down; stopping", replica.pk)
                return "stopped"

    def _still_wanted(self, replica: Replica) -> bool:
        try:
            replica.refresh_from_db(fields=["state", "index"])
            replica.deployment.refresh_from_db(
                fields=["desired_state", "observed_state", "replicas", "generation"]
            )
        except DatabaseError as exc:
            # Keep running through a database blip; the next poll asks again.
            logger.warning("replica %s: cannot read desired state: %s", replica.pk, exc)
            close_old_connections()
            return True
        return replica.is_wanted()

    def _beat(self, state: str, tasks: list[str] | None = None) -> None:
        heartbeats.beat(self.replica_id, task_id=self.task_id, state=state,
                        ready=self.ready, tasks=tasks or [])

    def _fail(self, deployment: Deployment, error: str) -> None:
        error = deployment.connection.scrub(error)
        self._last_error = error
        logger.error("deployment %s failed: %s", deployment.application_id, error)
        with transaction.atomic():
            current = Deployment.objects.select_for_update().get(pk=deployment.pk)
            if "failed" in Deployment.TRANSITIONS[current.observed_state]:
                current.transition(to="failed", error=error)
            else:
                current.transition(to=current.observed_state, error=error)  # type: ignore[arg-type]

    def _serve_queries(self, replica_id: int, deployment: Deployment, topology: Any) -> None:
        """Answer interactive queries of this replica's stores (query_server)."""
        stores = queries.deployment_stores(deployment, topology)
        compiled = topology.queryable_stores()
        serdes = {name: compiled[name].key_serde or Serdes.by_name(info.key_serde) for name, info in stores.items()}
        self.query_server = QueryServer(replica_id, self.app, stores, serdes)
        self.query_server.start()

    def _close(self) -> None:
        if self.query_server is not None:
            self.query_server.stop()
            self.query_server.join(5)
        if self.app is None:
            return
        try:
            self.app.close(timeout=CLOSE_TIMEOUT_S)
        except Exception:
            logger.exception("replica %s: closing the stream application failed", self.replica_id)

    def _cleanup(self, deployment_id: int, replica_id: int, final: str) -> None:
        try:
            heartbeats.clear(replica_id)
            if final == "stopped":
                # A stopped replica has no current numbers; a failed one keeps its last
                # snapshot (until the TTL) so the dashboard can show what went wrong.
                sync_redis().delete(keys.metrics(deployment_id, replica_id))
        except Exception as exc:
            logger.warning("replica %s: cannot clean up Redis keys: %s", replica_id, exc)
        try:
            reconciler.refresh_observed(deployment_id)
        except Exception:
            logger.exception("replica %s: cannot update the deployment's state", replica_id)


def _app_error(app: Any, publisher: MetricsPublisher) -> str:
    error = getattr(app, "error", None)
    if error:
        return str(error)
    errors = (publisher.latest or {}).get("errors") or []
    if errors:
        last = errors[-1]
        return f"node {last.get('node')}: {last.get('message')}"
    return "the stream application failed"

