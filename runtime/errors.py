"""The runtime's exception hierarchy: one root, one class per kind of failure.

Errors that concern a record carry where it came from (node, topic, partition,
offset) so that a log line or a dashboard entry points at the exact input.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DeserializationError",
    "IllegalStateError",
    "InvalidStateStoreError",
    "InvalidStateStorePartitionError",
    "ProcessingError",
    "ProductionError",
    "RecordError",
    "RecordTooLargeError",
    "SerializationError",
    "StateStoreMigratedError",
    "StateStoreNotAvailableError",
    "StoreNotFoundError",
    "StreamsError",
    "TaskCorruptedError",
    "TopologyError",
    "UnknownStateStoreError",
]


class StreamsError(Exception):
    """Root of every error raised by ``runtime``."""


class ConfigError(StreamsError):
    """A configuration value is missing or invalid."""


class IllegalStateError(StreamsError):
    """A method was called in a state that does not allow it (Kafka's
    ``IllegalStateException``), e.g. configuring an app after ``start()``."""


class TopologyError(StreamsError):
    """The topology is malformed: duplicate names, unknown parents, missing stores."""


class SerializationError(StreamsError):
    """A serde could not turn a value into bytes or bytes into a value."""


class StoreNotFoundError(StreamsError):
    """A processor asked for a state store that does not exist or is not connected to it."""


class InvalidStateStoreError(StreamsError):
    """A state store was used while closed or not yet initialised, or cannot be
    queried now (Kafka's ``InvalidStateStoreException``). ``retriable``: the same
    query may succeed later (after a rebalance or restore), as for Kafka's
    ``StateStoreMigratedException`` and ``StateStoreNotAvailableException``."""

    retriable = False


class UnknownStateStoreError(InvalidStateStoreError):
    """An interactive query named a store the topology does not have (Kafka's
    ``UnknownStateStoreException``); the message names the known ones."""


class InvalidStateStorePartitionError(InvalidStateStoreError):
    """An interactive query asked for a partition of a store that this instance does
    not host (Kafka's ``InvalidStateStorePartitionException``)."""

    retriable = True


class StateStoreMigratedError(InvalidStateStoreError):
    """No local task holds the store now: it moved to another instance, or is being
    restored (Kafka's ``StateStoreMigratedException``). Retriable."""

    retriable = True


class StateStoreNotAvailableError(InvalidStateStoreError):
    """The application is not running (not started, rebalancing, shutting down or
    failed), or a stream thread did not answer in time (Kafka's
    ``StateStoreNotAvailableException``). Retriable unless the app has stopped."""

    retriable = True


class TaskCorruptedError(StreamsError):
    """A task's state can no longer be trusted and must be rebuilt from its changelog."""


class RecordTooLargeError(StreamsError):
    """The producer refused one record as larger than its ``max.message.bytes``.

    Raised by the Kafka layer; the task turns it into a :class:`ProductionError` of the
    sink that sent the record, for the production exception handler to decide.
    """


class RecordError(StreamsError):
    """Base for failures tied to one input record."""

    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        node: str | None,
        topic: str | None,
        partition: int | None,
        offset: int | None,
        task_id: str | None = None,
    ) -> None:
        self.node = node
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.task_id = task_id
        self.detail = message
        where = (
            f"node={node} topic={topic} partition={partition} offset={offset}"
            + (f" task={task_id}" if task_id is not None else "")
        )
        super().__init__(f"{self.kind} at {where}: {message}")

    def to_dict(self) -> dict[str, object]:
        """JSON-safe summary for metrics and dashboards."""
        return {
            "node": self.node,
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "task_id": self.task_id,
            "message": str(self),
        }


class ProcessingError(RecordError):
    """A processor (usually a user callable) raised while processing a record."""

    kind = "processing error"


class DeserializationError(RecordError):
    """An input record's key or value could not be deserialized by its source node."""

    kind = "deserialization error"


class ProductionError(RecordError):
    """A sink could not serialize or send an output record."""

    kind = "production error"
