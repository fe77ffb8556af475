"""The drill of the outage tests: word count on one replica of one real worker, through
an outage of a service (the database, Redis) that the Celery processes reach only
through a TcpProxy, which the test cuts and restores.

A batch of lines before the outage, one sent during it, which must be counted while the
outage lasts, and one after; each time the latest counts must equal the truth, and the
same replica must have run throughout (not buried and replaced).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from django.test import Client

from studio.deployments.models import Replica
from tests.studio.helpers import with_topics
from tests.studio.integration.stack import (
    CeleryProcess,
    CeleryStack,
    CountsReader,
    deploy,
    deployment_running,
    drop_app_state,
    make_lines,
    produce,
    stop_deployment,
    truth,
    wait_for,
)
from tests.tcp_proxy import TcpProxy

LINES_PER_BATCH = 1000
RUNNING_S = 90.0
COUNTS_S = 60.0


def via_proxy(url: str, proxy: TcpProxy) -> str:
    """`url` with its host and port replaced by the proxy's (credentials kept)."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@{proxy.address}" if credentials else proxy.address
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass
class OutageDrill:
    stack: CeleryStack
    worker: CeleryProcess
    beat: CeleryProcess
    bootstrap: str
    lines_topic: str
    deployment_id: int
    replica: int
    reader: CountsReader
    before: list[str]
    during: list[str]
    after: list[str]
    # Seconds: "outage", "counted after the cut", "wait for the counts".
    figures: dict[str, float] = field(default_factory=dict)

    def alive(self) -> None:
        self.stack.check_alive(self.worker, self.beat)

    def run_outage(self, proxy: TcpProxy, seconds: float, *, before_restore: Callable[[], None]) -> None:
        """Cut the proxy for `seconds`; the lines sent meanwhile must be counted before
        it is restored. `before_restore` checks what must hold at the end of the outage."""
        proxy.cut()
        cut_at = time.monotonic()
        produce(self.bootstrap, self.lines_topic, self.during, len(self.before))
        took, _ = wait_for("the counts of the lines sent during the outage, while it lasts",
                           self.reader.equals(truth(self.before + self.during)), seconds, interval=0,
                           check=self.alive)
        assert proxy.is_cut
        self.figures["counted after the cut"] = time.monotonic() - cut_at
        self.figures["wait for the counts"] = took
        remaining = seconds - (time.monotonic() - cut_at)
        if remaining > 0:
            time.sleep(remaining)
        self.alive()
        before_restore()
        proxy.restore()
        self.figures["outage"] = time.monotonic() - cut_at

    def finish(self) -> None:
        """After the outage: the last batch is counted, and the same replica still runs."""
        produce(self.bootstrap, self.lines_topic, self.after, len(self.before) + len(self.during))
        wait_for("the counts of every line after the outage",
                 self.reader.equals(truth(self.before + self.during + self.after)), COUNTS_S, interval=0,
                 check=self.alive)
        wait_for("the deployment's rows to say it runs", deployment_running(self.deployment_id), RUNNING_S,
                 check=self.alive)
        rows = dict(Replica.objects.filter(deployment_id=self.deployment_id).values_list("pk", "state"))
        assert rows == {self.replica: "running"}, f"the replica should have run through the outage: {rows}"


@contextmanager
def outage_drill(*, api: Client, workspace_id: int, stack: CeleryStack, bootstrap: str,
                 create_topic: Callable[..., str], unique_name: Callable[[str], str], studio_redis: redis.Redis,
                 document: dict[str, Any], seed: int) -> Iterator[OutageDrill]:
    """Word count deployed and running on a new worker, its first batch counted."""
    lines_topic, counts_topic = create_topic("lines", partitions=2), create_topic("counts", partitions=2)
    application_id = unique_name("wc-outage")
    stack.after_stop.append(lambda: drop_app_state(bootstrap, studio_redis, application_id))
    rng = random.Random(seed)
    before, during, after = (make_lines(rng, LINES_PER_BATCH) for _ in range(3))

    # One replica, and a pool process for the reconcile task beside it.
    worker = stack.start_worker("worker", 2)
    beat = stack.start_beat()
    stack.wait_worker_ready(worker)
    deployment_id = deploy(api, workspace_id, with_topics(document, lines_topic, counts_topic),
                           name=unique_name("wc"), bootstrap=bootstrap, application_id=application_id)
    reader = CountsReader(bootstrap, counts_topic, unique_name("counts-reader"))
    try:
        alive = lambda: stack.check_alive(worker, beat)  # noqa: E731
        wait_for("the deployment to run", deployment_running(deployment_id), RUNNING_S, check=alive)
        [replica] = Replica.objects.filter(deployment_id=deployment_id, state="running").values_list("pk", flat=True)
        produce(bootstrap, lines_topic, before, 0)
        wait_for("the counts of the lines before the outage", reader.equals(truth(before)), COUNTS_S,
                 interval=0, check=alive)
        yield OutageDrill(stack, worker, beat, bootstrap, lines_topic, deployment_id, replica, reader,
                          before, during, after)
    finally:
        reader.close()
        stop_deployment(api, deployment_id)
