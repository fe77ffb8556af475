"""Settings of the internal topics an app creates: Kafka Streams' ``topic.`` prefix
(StreamsConfig.TOPIC_PREFIX) applies to every repartition and changelog topic, after
the engine's own defaults and before a topic's own settings
(InternalTopicConfig#properties: "library overrides < global config overrides <
per-topic config overrides"). A deployment that lets 10 MB records through a
repartition topic needs ``topic.max.message.bytes`` on a broker that enforces it."""

from __future__ import annotations

from runtime.exec.internal_topics import InternalTopic, TopicLayout, plan_topics, topic_defaults


def _layout() -> TopicLayout:
    return TopicLayout(
        source_topics={0: ["orders"], 1: ["app-rep"]},
        sink_topics={0: ["app-rep"], 1: ["totals"]},
        internal_topics=[
            InternalTopic("app-rep", "repartition", 1, None),
            InternalTopic("app-store-changelog", "changelog", 1, None),
            InternalTopic("app-windows-changelog", "changelog", 1, None,
                          {"cleanup.policy": "compact,delete", "retention.ms": "86400000"}),
        ],
    )


def _created(topic_config: dict[str, str] | None) -> dict[str, dict[str, str]]:
    plan = plan_topics(_layout(), {"orders": 2}, topic_config)
    return {t.name: dict(t.config) for t in plan.to_create}


def test_topic_prefixed_settings_are_taken_with_the_prefix_stripped_as_strings() -> None:
    config = {"application.id": "app", "topic.max.message.bytes": 16 * 1024 * 1024,
              "topic.unclean.leader.election.enable": False, "topic.retention.ms": "-1",
              "topic.": "nothing", "topic.segment.bytes": None,
              "topology.optimization": "all", "errors.dead.letter.queue.topic.name": "dlq",
              "producer.message.max.bytes": 1}
    assert topic_defaults(config) == {"max.message.bytes": "16777216",
                                      "unclean.leader.election.enable": "false",
                                      "retention.ms": "-1"}


def test_without_topic_settings_only_the_engine_defaults_and_the_topic_s_own_apply() -> None:
    assert _created(None) == {
        "app-rep": {},
        "app-store-changelog": {"cleanup.policy": "compact"},
        "app-windows-changelog": {"cleanup.policy": "compact,delete", "retention.ms": "86400000"},
    }


def test_topic_settings_reach_every_internal_topic_and_a_topic_s_own_win() -> None:
    created = _created({"max.message.bytes": "16777216", "retention.ms": "-1",
                        "cleanup.policy": "delete"})
    assert created == {
        "app-rep": {"max.message.bytes": "16777216", "retention.ms": "-1",
                    "cleanup.policy": "delete"},
        # the global setting overrides the engine's compaction, as in Kafka Streams
        "app-store-changelog": {"cleanup.policy": "delete", "max.message.bytes": "16777216",
                                "retention.ms": "-1"},
        "app-windows-changelog": {"cleanup.policy": "compact,delete", "retention.ms": "86400000",
                                  "max.message.bytes": "16777216"},
    }


def test_existing_internal_topics_are_left_as_they_are() -> None:
    plan = plan_topics(_layout(), {"orders": 2, "app-rep": 2, "app-store-changelog": 2,
                                   "app-windows-changelog": 2}, {"max.message.bytes": "1"})
    assert plan.to_create == []
