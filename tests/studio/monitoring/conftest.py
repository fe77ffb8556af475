from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.studio.monitoring.group_listener import GroupListener


@pytest.fixture
def listen(studio_redis: object) -> Iterator[Callable[[str], GroupListener]]:
    """`listen(group)`: a GroupListener on the studio's channel layer, closed afterwards."""
    listeners: list[GroupListener] = []

    def make(group: str) -> GroupListener:
        listeners.append(GroupListener(group))
        return listeners[-1]

    yield make
    for listener in listeners:
        listener.close()
