"""Before the first rebalance: check that the source topics exist and create the internal
topics with Kafka Streams' partition counts.

- A repartition topic gets the maximum partition count of the source topics of the
  sub-topologies that write to it (resolved transitively when those sources are
  repartition topics themselves), unless the topology fixes it.
- Topics that a join reads side by side (copartition groups) get equal counts: a
  repartition topic in a group with source topics takes theirs (Kafka's
  CopartitionedTopicsEnforcer); this is what sizes the foreign-key join's
  subscription and response topics, which feed each other.
- A changelog topic gets the partition count of its owning sub-topology, i.e. the
  number of tasks of that sub-topology (the maximum over its source topics).

Topic configs of a created internal topic, later ones winning as in Kafka Streams'
InternalTopicConfig#properties: the engine's own (changelogs compacted), then the
application's ``topic.``-prefixed settings (StreamsConfig.TOPIC_PREFIX, e.g.
``topic.max.message.bytes``; :func:`topic_defaults`), then the topic's own.

The planning is pure (:func:`plan_topics`); :func:`prepare_topics` adds the admin calls.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from runtime.kafka import InternalTopicError, KafkaAdmin, MissingSourceTopicError, NewTopicSpec

__all__ = ["TOPIC_PREFIX", "InternalTopic", "TopicLayout", "TopicPlan", "plan_topics", "prepare_topics",
           "topic_defaults"]

logger = logging.getLogger(__name__)

# Kafka Streams' StreamsConfig.TOPIC_PREFIX: settings of every internal topic created.
TOPIC_PREFIX = "topic."


def topic_defaults(config: Mapping[str, Any]) -> dict[str, str]:
    """The ``topic.``-prefixed settings of an application config, prefix stripped, as
    the strings a topic config holds (Java's ``toString()``: booleans in lower case)."""
    return {key[len(TOPIC_PREFIX):]: (str(value).lower() if isinstance(value, bool) else str(value))
            for key, value in config.items()
            if key.startswith(TOPIC_PREFIX) and len(key) > len(TOPIC_PREFIX) and value is not None}


@dataclass(frozen=True)
class InternalTopic:
    name: str
    kind: str                      # "repartition" | "changelog"
    subtopology_id: int
    num_partitions: int | None
    config: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicLayout:
    """What the engine needs to know of a topology's topics (full names)."""

    source_topics: Mapping[int, Sequence[str]]
    sink_topics: Mapping[int, Sequence[str]]
    internal_topics: Sequence[InternalTopic]
    copartition_groups: Sequence[Sequence[str]] = ()


@dataclass
class TopicPlan:
    missing_sources: dict[int, list[str]]
    partitions: dict[str, int]             # every source and internal topic -> partitions
    tasks_per_subtopology: dict[int, int]
    to_create: list[NewTopicSpec]


def layout_of(topology: Any, application_id: str) -> TopicLayout:
    subs = list(topology.sub_topology_ids())
    sources = {s: list(topology.source_topics(s, application_id)) for s in subs}
    sinks: dict[int, list[str]] = {}
    for s in subs:
        patterns = topology.source_patterns(s) if hasattr(topology, "source_patterns") else []
        if patterns:
            raise InternalTopicError(
                f"sub-topology {s} reads topics by pattern ({', '.join(p.pattern for p in patterns)}); "
                "pattern subscriptions are not supported by the Kafka engine yet"
            )
        written = topology.build_subtopology(s, application_id).sink_topics.values()
        sinks[s] = [t for t in written if t is not None]
    internal = [
        InternalTopic(t.name, t.kind, t.subtopology_id, t.num_partitions, dict(t.config))
        for t in topology.internal_topics(application_id)
    ]
    return TopicLayout(sources, sinks, internal, topology.copartition_groups(application_id))


def plan_topics(layout: TopicLayout, existing: Mapping[str, int],
                topic_config: Mapping[str, str] | None = None) -> TopicPlan:
    """``topic_config``: settings for every internal topic created (see
    :func:`topic_defaults`); a topic's own settings win over them."""
    internal_by_name = {t.name: t for t in layout.internal_topics}
    repartition = {n for n, t in internal_by_name.items() if t.kind == "repartition"}
    missing: dict[int, list[str]] = {}
    partitions: dict[str, int] = {}
    for sub, topics in layout.source_topics.items():
        for topic in topics:
            if topic in repartition:
                continue
            if topic in existing:
                partitions[topic] = existing[topic]
            else:
                missing.setdefault(sub, []).append(topic)
    if missing:
        return TopicPlan(missing, partitions, {}, [])

    for name in repartition:
        fixed = internal_by_name[name].num_partitions
        if fixed is not None:
            partitions[name] = fixed
    unresolved = repartition - partitions.keys()
    # Topics feeding each other (a cycle) are sized from what is known, as Kafka does.
    partial = False
    while unresolved:
        progress = False
        for name in sorted(unresolved):
            candidates: list[int] = []
            complete = True
            for sub, sinks in layout.sink_topics.items():
                if name not in sinks:
                    continue
                for upstream in layout.source_topics[sub]:
                    if upstream in partitions:
                        candidates.append(partitions[upstream])
                    else:
                        complete = False
            if candidates and (complete or partial):
                partitions[name] = max(candidates)
                progress = True
        unresolved = repartition - partitions.keys()
        if progress:
            partial = False
        elif unresolved and not partial:
            partial = True
        elif unresolved:
            raise InternalTopicError(
                "cannot derive the partition count of repartition topics "
                f"{', '.join(sorted(unresolved))}: no sub-topology with known source "
                "partitions writes to them"
            )

    _enforce_copartitioning(layout, internal_by_name, repartition, partitions)

    tasks = {
        sub: max((partitions[t] for t in topics), default=0)
        for sub, topics in layout.source_topics.items()
    }
    for t in layout.internal_topics:
        if t.kind == "changelog":
            partitions[t.name] = t.num_partitions if t.num_partitions is not None else tasks[t.subtopology_id]

    to_create: list[NewTopicSpec] = []
    problems: list[str] = []
    for t in layout.internal_topics:
        wanted = partitions[t.name]
        if t.name in existing:
            if existing[t.name] != wanted:
                problems.append(f"{t.name} has {existing[t.name]} partitions, expected {wanted}")
            continue
        config = {"cleanup.policy": "compact"} if t.kind == "changelog" else {}
        config.update(topic_config or {})
        config.update(t.config)
        to_create.append(NewTopicSpec(t.name, wanted, config=config))
    if problems:
        raise InternalTopicError(
            "existing internal topics have the wrong number of partitions: "
            + "; ".join(problems)
            + " (reset the application to delete its internal topics)"
        )
    return TopicPlan({}, partitions, tasks, to_create)


def _enforce_copartitioning(layout: TopicLayout, internal_by_name: Mapping[str, InternalTopic],
                            repartition: set[str], partitions: dict[str, int]) -> None:
    for group in layout.copartition_groups:
        sources = [t for t in group if t not in repartition and t in partitions]
        external = sorted({partitions[t] for t in sources})
        if len(external) > 1:
            counts = ", ".join(f"{t} ({partitions[t]} partitions)" for t in sources)
            raise InternalTopicError(
                f"topics not co-partitioned: {counts}; a join reads them side by side, so "
                "they need the same number of partitions")
        members = [t for t in group if t in repartition]
        if not members:
            continue
        wanted = external[0] if external else max(partitions[t] for t in members)
        for topic in members:
            fixed = internal_by_name[topic].num_partitions
            if fixed is not None and fixed != wanted:
                raise InternalTopicError(
                    f"repartition topic {topic} is set to {fixed} partitions but must be "
                    f"co-partitioned with {', '.join(group)} ({wanted})")
            partitions[topic] = wanted


def prepare_topics(layout: TopicLayout, admin: KafkaAdmin, bootstrap_servers: str,
                   topic_config: Mapping[str, str] | None = None) -> TopicPlan:
    """Validate sources and create missing internal topics (with ``topic_config``, see
    :func:`plan_topics`); raises :class:`MissingSourceTopicError` naming every missing
    source topic."""
    plan = plan_topics(layout, admin.topic_partitions(), topic_config)
    if plan.missing_sources:
        raise MissingSourceTopicError(plan.missing_sources, bootstrap_servers)
    created = admin.create_topics(plan.to_create)
    for name in created:
        logger.info("created internal topic %s with %d partitions", name, plan.partitions[name])
    return plan
