"""A thin, typed wrapper around confluent-kafka's Producer, created on first use.

With ``transactional.id`` in its configuration it is a transactional producer
(processing.guarantee=exactly_once_v2): the client calls init_transactions when it is
created, a transaction begins before the first record after a commit, and
:meth:`commit_transaction` commits the records together with the consumed offsets."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import confluent_kafka

from runtime.errors import RecordTooLargeError
from runtime.kafka.exceptions import KafkaClientError, TransactionError, release_frames

__all__ = ["DeliveryCallback", "KafkaProducer"]

logger = logging.getLogger(__name__)


def _transaction_error(what: str, error: Any) -> TransactionError:
    if not isinstance(error, confluent_kafka.KafkaError):
        return TransactionError(f"{what} failed: {error}", code=None, fatal=True)
    code = error.code()
    fatal = bool(error.fatal()) or code in _FENCED or not error.txn_requires_abort()
    return TransactionError(f"{what} failed: {error}", code=code, fatal=fatal)

# confluent-kafka calls it with (KafkaError or None, Message).
DeliveryCallback = Callable[[Any, Any], None]

# Another producer with our transactional.id has initialised: this one is a zombie.
_FENCED = frozenset({
    confluent_kafka.KafkaError._FENCED,
    confluent_kafka.KafkaError.PRODUCER_FENCED,
    confluent_kafka.KafkaError.INVALID_PRODUCER_EPOCH,
})
_PURGED = frozenset({confluent_kafka.KafkaError._PURGE_QUEUE, confluent_kafka.KafkaError._PURGE_INFLIGHT})


# produce() refused because the producer is fatally failed or between transactions.
_TXN_STATE = frozenset({confluent_kafka.KafkaError._FATAL, confluent_kafka.KafkaError._STATE})


def _dooms_transaction(error: Any) -> bool:
    return bool(error.fatal() or error.txn_requires_abort() or error.code() in _FENCED | _PURGED)


def _refused_as_too_large(exc: confluent_kafka.KafkaException) -> bool:
    # librdkafka checks message.max.bytes in produce() and raises at once
    error = exc.args[0] if exc.args else None
    return isinstance(error, confluent_kafka.KafkaError) and \
        error.code() == confluent_kafka.KafkaError.MSG_SIZE_TOO_LARGE


class KafkaProducer:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = dict(config)
        self._producer: confluent_kafka.Producer | None = None
        self._partition_counts: dict[str, int] = {}
        self.transactional = "transactional.id" in self._config
        self._in_transaction = False
        self._failure: TransactionError | None = None
        # Bumped by each abort/reset: late delivery reports of records purged then
        # belong to a transaction already given up and must not fail the next one.
        self._epoch = 0
        self.transactions_committed = 0
        self.transactions_aborted = 0
        if self.transactional:
            user_error_cb = self._config.get("error_cb")

            def on_error(error: Any) -> None:
                if error.fatal() or error.code() in _FENCED:
                    self._fail(_transaction_error("producer", error))
                if user_error_cb is not None:
                    user_error_cb(error)

            self._config["error_cb"] = on_error

    @property
    def _client(self) -> confluent_kafka.Producer:
        if self._producer is None:
            try:
                producer = confluent_kafka.Producer(self._config)
            except (confluent_kafka.KafkaException, ValueError, TypeError) as exc:
                raise KafkaClientError(f"cannot create producer: {exc}") from exc
            if self.transactional:
                # Fences any older producer with our transactional.id and aborts what
                # it left open, before we write anything.
                self._call("init_transactions", producer.init_transactions, self._timeout_s)
            self._producer = producer
        return self._producer

    @property
    def _timeout_s(self) -> float:
        return max(float(self._config.get("transaction.timeout.ms", 60_000)) / 1000.0, 10.0)

    # -- transactions (transactional.id set) --------------------------------------------

    @property
    def transaction_failure(self) -> TransactionError | None:
        """Why the open transaction can no longer commit (a failed delivery, fencing),
        until :meth:`abort_transaction` or :meth:`reset`."""
        return self._failure

    @property
    def in_transaction(self) -> bool:
        return self._in_transaction

    def _fail(self, error: TransactionError) -> None:
        if self._failure is None or (error.fatal and not self._failure.fatal):
            self._failure = error

    def _call(self, what: str, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except confluent_kafka.KafkaException as exc:
            error = _transaction_error(what, exc.args[0] if exc.args else exc)
            self._fail(error)
            raise error from exc

    def _begin(self, client: confluent_kafka.Producer) -> None:
        if self._failure is not None:
            raise self._failure
        if not self._in_transaction:
            self._call("begin_transaction", client.begin_transaction)
            self._in_transaction = True

    def commit_transaction(self, offsets: Sequence[Any], group_metadata: Any) -> None:
        """Commit the open transaction with ``offsets`` (TopicPartitionOffset: the next
        offsets to read) as the group's consumed offsets. Does nothing when no record
        was sent and no offset moved."""
        if not offsets and not self._in_transaction:
            return
        client = self._client
        self._begin(client)
        if offsets:
            self._call(
                "send_offsets_to_transaction", client.send_offsets_to_transaction,
                [confluent_kafka.TopicPartition(o.topic, o.partition, o.offset) for o in offsets],
                group_metadata, self._timeout_s,
            )
        for attempt in range(3):
            try:
                client.commit_transaction(self._timeout_s)
                break
            except confluent_kafka.KafkaException as exc:
                error = exc.args[0] if exc.args else None
                # librdkafka: a retriable commit error means "call commit again".
                if attempt < 2 and isinstance(error, confluent_kafka.KafkaError) and error.retriable():
                    logger.warning("commit_transaction: %s; retrying", error)
                    continue
                failure = _transaction_error("commit_transaction", error if error is not None else exc)
                self._fail(failure)
                raise failure from exc
        self._in_transaction = False
        self.transactions_committed += 1

    def abort_transaction(self) -> None:
        """Abort the open transaction (its records are never visible to read_committed
        consumers); raises TransactionError when the producer must be recreated."""
        if self._producer is None:
            self._in_transaction = False
            return
        if self._failure is not None and self._failure.fatal:
            raise self._failure
        if self._in_transaction:
            self._call("abort_transaction", self._producer.abort_transaction, self._timeout_s)
            self.transactions_aborted += 1
        self._in_transaction = False
        self._failure = None
        self._epoch += 1

    def abandon_transaction(self, reason: str) -> None:
        """Mark the open transaction as one that must be aborted (e.g. some of the tasks
        whose output it holds were lost to another member)."""
        if self._in_transaction:
            self._fail(TransactionError(f"transaction abandoned: {reason}", code=None, fatal=False))

    def reset(self) -> None:
        """Drop the client after a fatal error; the next use creates a new one, whose
        init_transactions aborts whatever the old one left open."""
        producer, self._producer = self._producer, None
        self._epoch += 1
        if producer is not None:
            try:
                producer.purge()
                producer.flush(0)
            except (confluent_kafka.KafkaException, RuntimeError, SystemError) as exc:
                logger.debug("dropping a fenced producer: %s", exc)
        if self._in_transaction:
            self.transactions_aborted += 1
        self._in_transaction = False
        failure, self._failure = self._failure, None
        # Destroyed here, in the thread that used it, not whenever the failure's last
        # holder (a log record, say) lets go of the frames that reference it.
        release_frames(failure)
        del producer

    def produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        *,
        timestamp: int = 0,
        headers: Sequence[tuple[str, bytes]] | None = None,
        partition: int | None = None,
        on_delivery: DeliveryCallback | None = None,
    ) -> None:
        """Queue one record; when the local queue is full, serve delivery reports until
        there is room (back-pressure instead of an error)."""
        client = self._client
        if self.transactional:
            self._begin(client)
            on_delivery = self._transactional_delivery(on_delivery)
        kwargs: dict[str, Any] = {"timestamp": timestamp}
        if partition is not None:
            kwargs["partition"] = partition
        if headers:
            kwargs["headers"] = list(headers)
        if on_delivery is not None:
            kwargs["on_delivery"] = on_delivery
        while True:
            try:
                client.produce(topic, value, key, **kwargs)
                return
            except BufferError:
                client.poll(0.05)
            except confluent_kafka.KafkaException as exc:
                if _refused_as_too_large(exc):
                    # refused locally, nothing sent: this record's fault, not the
                    # client's, so the production exception handler decides
                    raise RecordTooLargeError(f"cannot produce to {topic}: {exc}") from exc
                error = exc.args[0] if exc.args else None
                if self.transactional and isinstance(error, confluent_kafka.KafkaError) and (
                        _dooms_transaction(error) or error.code() in _TXN_STATE):
                    self._fail(_transaction_error(f"produce to {topic}", error))
                raise KafkaClientError(f"cannot produce to {topic}: {exc}") from exc

    def _transactional_delivery(self, on_delivery: DeliveryCallback | None) -> DeliveryCallback:
        # A delivery failed by the transaction's own state (fenced, purged by a fatal
        # error, abortable) dooms it; any other failure (e.g. a record too large) is a
        # production error that would recur on a retry, and stops the thread as
        # under at_least_once.
        epoch = self._epoch

        def delivered(error: Any, message: Any) -> None:
            if error is not None and epoch == self._epoch and _dooms_transaction(error):
                self._fail(_transaction_error(f"delivery to {message.topic()}", error))
            if on_delivery is not None:
                on_delivery(error, message)
        return delivered

    def partition_count(self, topic: str, timeout: float = 10.0) -> int:
        """Partitions of an existing output topic (cached; for custom partitioners)."""
        count = self._partition_counts.get(topic)
        if count is None:
            try:
                metadata = self._client.list_topics(topic, timeout=timeout).topics.get(topic)
            except confluent_kafka.KafkaException as exc:
                raise KafkaClientError(f"cannot read metadata of {topic}: {exc}") from exc
            if metadata is None or metadata.error is not None or not metadata.partitions:
                error = metadata.error if metadata is not None else "unknown topic"
                raise KafkaClientError(f"cannot read metadata of {topic}: {error}")
            count = self._partition_counts[topic] = len(metadata.partitions)
        return count

    def poll(self, timeout: float = 0.0) -> int:
        """Serve delivery reports; returns how many were served."""
        if self._producer is None:
            return 0
        return self._served("poll", self._producer.poll, timeout)

    def flush(self, timeout: float) -> int:
        """Wait until every queued record is delivered or failed; returns how many are
        still in flight after ``timeout`` seconds."""
        if self._producer is None:
            return 0
        return self._served("flush", self._producer.flush, timeout)

    def _served(self, what: str, fn: Callable[[float], int], timeout: float) -> int:
        try:
            return fn(timeout)
        except (confluent_kafka.KafkaException, SystemError) as exc:
            # A fenced (fatal) transactional producer makes confluent-kafka's flush
            # fail, sometimes as a bare SystemError: report the transaction's failure.
            if not self.transactional:
                raise
            self._fail(TransactionError(f"{what} failed: {exc}", code=None, fatal=True))
            assert self._failure is not None
            raise self._failure from exc

    def close(self, timeout: float = 10.0) -> None:
        if self._in_transaction and (self._failure is None or not self._failure.fatal):
            # Closed without a commit (the thread failed): abort now rather than leave
            # read_committed readers waiting for transaction.timeout.ms.
            try:
                self.abort_transaction()
            except TransactionError as exc:
                logger.warning("producer %s: abort on close failed: %s", self._config.get("client.id"), exc)
        if self._producer is not None:
            producer, self._producer = self._producer, None
            try:
                remaining = producer.flush(timeout)
            except (confluent_kafka.KafkaException, SystemError) as exc:
                logger.warning("producer %s closed: %s", self._config.get("client.id"), exc)
                return
            if remaining:
                logger.warning(
                    "producer %s closed with %d records undelivered", self._config.get("client.id"), remaining
                )
