"""Errors raised by the engine's Kafka layer, under the runtime's one exception root."""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Mapping

from runtime.errors import StreamsError

__all__ = [
    "CommitFailedError",
    "InternalTopicError",
    "KafkaClientError",
    "MissingSourceTopicError",
    "TransactionError",
    "release_frames",
]


def release_frames(error: BaseException | None) -> None:
    """Clear the locals of the finished frames in `error`'s traceback and those of its
    causes. A Kafka client that failed is among those locals (its bound methods, the
    `client` being called); kept by whoever holds the exception, it would live on with
    its threads and sockets, to be destroyed later in whatever thread lets go last."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if error.__traceback__ is not None:
            traceback.clear_frames(error.__traceback__)   # skips frames still running
        error = error.__cause__ or error.__context__


class KafkaClientError(StreamsError):
    """A Kafka client call failed (broker unreachable, request rejected, ...)."""


class CommitFailedError(KafkaClientError):
    """An offset commit was rejected. ``group_moved_on`` is Kafka Streams'
    ``CommitFailedException`` (thrown on as ``TaskMigratedException``): the group has
    rebalanced without this member's generation (ILLEGAL_GENERATION,
    UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS), so its claim on the
    partitions can no longer be trusted."""

    def __init__(self, message: str, *, code: int | None, group_moved_on: bool) -> None:
        super().__init__(message)
        self.code = code
        self.group_moved_on = group_moved_on


class TransactionError(KafkaClientError):
    """A transaction could not be completed. ``fatal`` (fenced, or the producer is in
    a fatal state): the producer must be recreated; otherwise the transaction must be
    aborted. Either way what it wrote is discarded, so the tasks that wrote it are
    closed dirty and resume from the committed offsets."""

    def __init__(self, message: str, *, code: int | None, fatal: bool) -> None:
        super().__init__(message)
        self.code = code
        self.fatal = fatal




class MissingSourceTopicError(StreamsError):
    """Source topics of the topology do not exist on the cluster (Kafka Streams'
    ``MissingSourceTopicException``): the app stops instead of waiting for them."""

    def __init__(self, missing: Mapping[int, Iterable[str]], bootstrap_servers: str) -> None:
        self.missing = {sub: sorted(set(topics)) for sub, topics in missing.items()}
        self.topics = sorted({t for topics in self.missing.values() for t in topics})
        where = "; ".join(
            f"sub-topology {sub}: {', '.join(topics)}" for sub, topics in sorted(self.missing.items())
        )
        super().__init__(
            f"missing source topics {', '.join(self.topics)} on {bootstrap_servers} ({where}); "
            "create them before starting the application"
        )


class InternalTopicError(StreamsError):
    """An internal (repartition or changelog) topic exists with the wrong shape, or its
    partition count cannot be derived."""
