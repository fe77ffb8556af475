"""Live tail of a topic over a websocket: /ws/connections/<id>/topics/<topic>/tail/.

Query: `key_serde`, `value_serde` (as the records endpoint; default string) and `last`
(0..500, default 0: the records already on each partition to show first).

Server to client: `{"type": "ready", "partitions": {"0": first offset, ...}}` once the
consumer is assigned, then `{"type": "record", "record": RecordDict}` per new record,
`{"type": "skipped", "count": n}` where n records were dropped because they came faster
than `RIFFLE_TAIL_MAX_RECORDS_PER_S` or than the client reads, and `{"type": "error",
"message"}` before a close. Close codes: 4401 not logged in, 4404 no such connection or
topic, 4400 bad query, 4502 Kafka failed.

A confluent-kafka consumer (assign-only, no group) runs on a thread of its own per
socket and hands batches to the event loop; they wait in a bounded queue, and what does
not fit is counted, never waited for. The thread ends (and its consumer closes) when the
socket does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from studio.connections.kafka import KafkaCallError, RawRecord, TopicTail
from studio.connections.models import Connection
from studio.connections.records import SERDES, record_dict
from studio.connections.serializers import MAX_BROWSE
from studio.monitoring.access import accept_signed_in, connection_for

logger = logging.getLogger(__name__)

CLOSE_BAD_REQUEST = 4400
CLOSE_NOT_FOUND = 4404
CLOSE_KAFKA_FAILED = 4502

THREAD_PREFIX = "riffle-tail"


class TopicTailConsumer(AsyncJsonWebsocketConsumer):
    tail: TopicTail | None = None
    thread: threading.Thread | None = None
    sender: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        user = await accept_signed_in(self)
        if user is None:
            return
        kwargs = self.scope["url_route"]["kwargs"]
        try:
            self.key_serde, self.value_serde, last = _query(self.scope.get("query_string", b""))
        except ValueError as exc:
            await self._refuse(str(exc), CLOSE_BAD_REQUEST)
            return
        connection = await load_connection(user, int(kwargs["connection_id"]))
        if connection is None:
            await self._refuse(f"There is no connection {kwargs['connection_id']}.", CLOSE_NOT_FOUND)
            return
        self.topic = kwargs["topic"]
        self.rate = float(settings.RIFFLE_TAIL_MAX_RECORDS_PER_S)
        self.queue: asyncio.Queue[tuple[str, Any, int]] = asyncio.Queue(maxsize=max(int(self.rate) * 2, 2))
        self.skipped = 0
        self.tail = TopicTail(connection, self.topic, last=last)
        loop = asyncio.get_running_loop()
        self.thread = threading.Thread(target=self._follow, args=(loop,), daemon=True,
                                       name=f"{THREAD_PREFIX}-{connection.pk}-{self.topic}")
        self.sender = asyncio.create_task(self._send_loop())
        self.thread.start()

    async def disconnect(self, code: int) -> None:
        if self.tail is not None:
            self.tail.stop()
        if self.sender is not None:
            self.sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.sender
        if self.thread is not None:
            # The consumer polls in 0.2 s steps; closing it may take a moment longer.
            await asyncio.to_thread(self.thread.join, 15)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        return None  # one-way

    async def _refuse(self, message: str, code: int) -> None:
        await self.send_json({"type": "error", "message": message})
        await self.close(code=code)

    # -- the consumer thread ----------------------------------------------------------

    def _follow(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self.tail is not None

        def hand(kind: str, item: Any) -> None:
            try:
                loop.call_soon_threadsafe(self._offer, kind, item)
            except RuntimeError:  # the loop has closed: nobody listens any more
                self.tail.stop()  # type: ignore[union-attr]

        try:
            self.tail.run(on_start=lambda starts: hand("ready", starts),
                          deliver=lambda batch: hand("records", batch))
        except KafkaCallError as exc:
            hand("error", (exc.message, CLOSE_NOT_FOUND if exc.status == 404 else CLOSE_KAFKA_FAILED))
        except Exception:
            logger.exception("the tail of topic %r failed", self.tail.topic)
            hand("error", ("Following the topic failed; the error is in the server's log.", CLOSE_KAFKA_FAILED))

    # -- on the event loop ------------------------------------------------------------

    def _offer(self, kind: str, item: Any) -> None:
        if kind != "records":
            if self.queue.full():  # a control frame must get through: lose a record instead
                self.queue.get_nowait()
                self.skipped += 1
            self.queue.put_nowait((kind, item, 0))
            return
        for record in item:
            if self.queue.full():
                self.skipped += 1
                continue
            # The count of records dropped just before this one travels with it.
            self.queue.put_nowait(("record", record, self.skipped))
            self.skipped = 0

    async def _send_loop(self) -> None:
        loop = asyncio.get_running_loop()
        tokens, refilled = self.rate, loop.time()
        while True:
            if self.queue.empty() and self.skipped:
                await self.send_json({"type": "skipped", "count": self.skipped})
                self.skipped = 0
            kind, item, skipped_before = await self.queue.get()
            if kind == "ready":
                await self.send_json({"type": "ready", "partitions": {str(p): o for p, o in sorted(item.items())}})
            elif kind == "error":
                message, code = item
                await self._refuse(message, code)
                return
            else:
                now = loop.time()
                tokens = min(self.rate, tokens + (now - refilled) * self.rate)
                refilled = now
                if tokens < 1:
                    await asyncio.sleep((1 - tokens) / self.rate)
                    tokens, refilled = 1.0, loop.time()
                tokens -= 1
                if skipped_before:
                    await self.send_json({"type": "skipped", "count": skipped_before})
                await self.send_json({"type": "record", "record": self._decode(item)})

    def _decode(self, record: RawRecord) -> dict[str, Any]:
        return dict(record_dict(record, self.key_serde, self.value_serde, self.topic))


def _query(raw: bytes) -> tuple[str, str, int]:
    params = {k: v[-1] for k, v in parse_qs(raw.decode("latin-1")).items()}
    serdes = []
    for name in ("key_serde", "value_serde"):
        serde = params.get(name, "string")
        if serde not in SERDES:
            raise ValueError(f"{name}: {serde!r} is not one of {', '.join(SERDES)}.")
        serdes.append(serde)
    try:
        last = int(params.get("last", "0"))
    except ValueError:
        raise ValueError("last: not an integer.") from None
    if not 0 <= last <= MAX_BROWSE:
        raise ValueError(f"last: between 0 and {MAX_BROWSE}.")
    return serdes[0], serdes[1], last


@database_sync_to_async
def load_connection(user: Any, connection_id: int) -> Connection | None:
    return connection_for(user, connection_id)
