"""A channel-layer group read from a test's synchronous code.

The pub/sub channel layer's subscriptions live as long as the event loop that made them
(each `async_to_sync` call has a loop of its own, closed when it returns), so the
listener keeps one loop running in a thread of its own for its whole life. One task on
it receives for good: a receive that is cancelled (a timeout) makes the layer drop the
channel, as it does for a consumer that exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from channels.layers import get_channel_layer

T = TypeVar("T")

_READY = "listener.ready"


class GroupListener:
    def __init__(self, group: str) -> None:
        self.group = group
        self.layer = get_channel_layer()
        self._received: queue.Queue[dict[str, Any]] = queue.Queue()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"listen-{group}", daemon=True)
        self._thread.start()
        self.channel = self._run(self.layer.new_channel())
        self._pump = self._run(self._start_pump())
        self._run(self.layer.group_add(group, self.channel))
        # SUBSCRIBE is sent, not confirmed: our own message coming back proves the
        # subscription is in place before the test publishes anything.
        self._run(self.layer.group_send(group, {"type": _READY}))
        while self.receive(timeout=5)["type"] != _READY:
            pass

    async def _start_pump(self) -> asyncio.Task[None]:
        async def pump() -> None:
            while True:
                self._received.put(await self.layer.receive(self.channel))
        return asyncio.create_task(pump())

    def _run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def receive(self, timeout: float = 5) -> dict[str, Any]:
        """The next message of the group; raises TimeoutError after `timeout` seconds."""
        try:
            return self._received.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"nothing for {self.group} within {timeout} s") from None

    def close(self) -> None:
        async def stop() -> None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            await self.layer.group_discard(self.group, self.channel)

        self._run(stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()  # the layer closes its connections of this loop
