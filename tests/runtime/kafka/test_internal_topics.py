"""Partition counts of internal topics, as Kafka Streams derives them (RepartitionTopics:
a repartition topic gets the maximum partition count of the source topics of the
sub-topologies writing to it; a changelog gets its sub-topology's task count)."""

from __future__ import annotations

import pytest

from runtime.exec.internal_topics import InternalTopic, TopicLayout, plan_topics
from runtime.kafka import InternalTopicError


def _word_count_layout() -> TopicLayout:
    return TopicLayout(
        source_topics={0: ["lines"], 1: ["wc-rep"]},
        sink_topics={0: ["wc-rep"], 1: ["counts"]},
        internal_topics=[
            InternalTopic("wc-rep", "repartition", 1, None, {"cleanup.policy": "delete"}),
            InternalTopic("wc-counts-changelog", "changelog", 1, None, {}),
        ],
    )


def test_word_count_topics_follow_the_input_partitions() -> None:
    plan = plan_topics(_word_count_layout(), {"lines": 2, "counts": 1})
    assert plan.missing_sources == {}
    assert plan.partitions == {"lines": 2, "wc-rep": 2, "wc-counts-changelog": 2}
    assert plan.tasks_per_subtopology == {0: 2, 1: 2}
    created = {t.name: (t.num_partitions, t.config.get("cleanup.policy")) for t in plan.to_create}
    assert created == {"wc-rep": (2, "delete"), "wc-counts-changelog": (2, "compact")}


def test_missing_source_topics_are_named_per_subtopology() -> None:
    layout = TopicLayout({0: ["a", "b"], 1: ["c"]}, {0: [], 1: []}, [])
    plan = plan_topics(layout, {"b": 1})
    assert plan.missing_sources == {0: ["a"], 1: ["c"]}
    assert plan.to_create == []


def test_chained_repartition_topics_take_the_max_upstream_count() -> None:
    layout = TopicLayout(
        source_topics={0: ["a", "b"], 1: ["r1"], 2: ["r2"]},
        sink_topics={0: ["r1"], 1: ["r2"], 2: []},
        internal_topics=[
            InternalTopic("r2", "repartition", 2, None),
            InternalTopic("r1", "repartition", 1, None),
            InternalTopic("s2-changelog", "changelog", 2, None),
        ],
    )
    plan = plan_topics(layout, {"a": 3, "b": 5})
    assert plan.partitions["r1"] == 5
    assert plan.partitions["r2"] == 5
    assert plan.partitions["s2-changelog"] == 5


def test_a_fixed_repartition_count_wins() -> None:
    layout = TopicLayout(
        source_topics={0: ["a"], 1: ["r"]},
        sink_topics={0: ["r"], 1: []},
        internal_topics=[InternalTopic("r", "repartition", 1, 4), InternalTopic("c", "changelog", 1, None)],
    )
    plan = plan_topics(layout, {"a": 2})
    assert plan.partitions["r"] == 4
    assert plan.partitions["c"] == 4


def test_existing_internal_topics_are_kept_when_they_fit() -> None:
    plan = plan_topics(_word_count_layout(), {"lines": 2, "wc-rep": 2, "wc-counts-changelog": 2})
    assert plan.to_create == []


def test_existing_internal_topics_of_the_wrong_size_are_an_error() -> None:
    with pytest.raises(InternalTopicError, match="wc-rep has 3 partitions, expected 2"):
        plan_topics(_word_count_layout(), {"lines": 2, "wc-rep": 3})


def _fk_join_layout() -> TopicLayout:
    # The shape of a foreign-key join: the left table (sub-topology 0, topic "left")
    # writes subscriptions read beside the right table (sub-topology 1, topic "right"),
    # which writes responses read back beside the left table.
    return TopicLayout(
        source_topics={0: ["left", "resp"], 1: ["right", "sub"]},
        sink_topics={0: ["sub"], 1: ["resp"]},
        internal_topics=[InternalTopic("sub", "repartition", 1, None),
                         InternalTopic("resp", "repartition", 0, None)],
        copartition_groups=[["left", "resp"], ["right", "sub"]],
    )


def test_topics_feeding_each_other_take_the_counts_of_their_copartitioned_sources() -> None:
    # Kafka's CopartitionedTopicsEnforcer: a repartition topic joined with a source topic
    # gets that topic's partition count, here different on each side.
    plan = plan_topics(_fk_join_layout(), {"left": 2, "right": 3})
    assert plan.partitions["sub"] == 3
    assert plan.partitions["resp"] == 2
    assert plan.tasks_per_subtopology == {0: 2, 1: 3}


def test_copartitioned_source_topics_of_different_sizes_are_an_error() -> None:
    layout = TopicLayout({0: ["a", "b"]}, {0: []}, [], copartition_groups=[["a", "b"]])
    with pytest.raises(InternalTopicError, match=r"not co-partitioned: a \(2 partitions\), b \(3 partitions\)"):
        plan_topics(layout, {"a": 2, "b": 3})
