"""``StateRestoreListener``: progress of state store restoration (Kafka Streams'
``org.apache.kafka.streams.processor.StateRestoreListener``), registered on an app with
``StreamsApp.set_global_state_restore_listener``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # runtime.kafka imports the Kafka client; this module must not
    from runtime.kafka.types import TopicPartition

__all__ = ["StateRestoreListener"]


class StateRestoreListener:
    """Called, per changelog partition of an active task's store, as the stream thread
    restores it. Subclass it and override what you need; every method is a no-op here,
    and an object with the same methods (``on_restore_suspended`` optional) does too.

    One listener serves every stream thread of the app, so it is called from several
    threads at once: keep it stateless or synchronize it. It runs on the stream thread,
    between restore batches, so it should be quick. An exception it raises is logged
    and otherwise ignored. Standby tasks and global stores are not reported.
    """

    def on_restore_start(self, topic_partition: TopicPartition, store_name: str,
                         starting_offset: int, ending_offset: int) -> None:
        """Before the first record of ``topic_partition`` is restored into ``store_name``.

        :param starting_offset: where the replay starts (a Redis checkpoint's or a
            standby's offset, else the first offset of the changelog).
        :param ending_offset: the exclusive offset the replay is expected to reach: the
            changelog's end as the first fetch saw it, or the committed offset for a
            table restored from its source topic.
        """

    def on_batch_restored(self, topic_partition: TopicPartition, store_name: str,
                          batch_end_offset: int, num_restored: int) -> None:
        """After a batch was written to the store.

        :param batch_end_offset: the offset of the batch's last record (inclusive).
        :param num_restored: how many records the batch held.
        """

    def on_restore_end(self, topic_partition: TopicPartition, store_name: str,
                       total_restored: int) -> None:
        """When the store holds everything of ``topic_partition`` up to its end.

        :param total_restored: changelog records restored (none from a Redis checkpoint
            or a standby are counted).
        """

    def on_restore_suspended(self, topic_partition: TopicPartition, store_name: str,
                             total_restored: int) -> None:
        """When the task stops restoring before the end: its partitions were revoked or
        lost, or the app is closing. A later assignment starts over with
        :meth:`on_restore_start`.

        :param total_restored: records restored until then.
        """
