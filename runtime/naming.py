"""Deterministic names, as Kafka Streams generates them.

Generated processor names are ``PREFIX + "%010d" % index``, with one index counter per
builder shared by processor and store names. Internal topics are prefixed with the
application id at run time: ``<application.id>-<name>``.
"""

from __future__ import annotations

import re

__all__ = [
    "CHANGELOG_SUFFIX",
    "REPARTITION_SUFFIX",
    "changelog_topic",
    "is_generated_repartition_prefix",
    "processor_name",
    "repartition_topic_name",
    "store_name",
    "validate_name",
]

# KStream operators
SOURCE = "KSTREAM-SOURCE-"
SINK = "KSTREAM-SINK-"
FILTER = "KSTREAM-FILTER-"
PEEK = "KSTREAM-PEEK-"
FLATMAP = "KSTREAM-FLATMAP-"
FLATMAPVALUES = "KSTREAM-FLATMAPVALUES-"
MAP = "KSTREAM-MAP-"
MAPVALUES = "KSTREAM-MAPVALUES-"
PROCESSOR = "KSTREAM-PROCESSOR-"
KEY_SELECT = "KSTREAM-KEY-SELECT-"
FOREACH = "KSTREAM-FOREACH-"
MERGE = "KSTREAM-MERGE-"
BRANCH = "KSTREAM-BRANCH-"
TO_KTABLE = "KSTREAM-TOTABLE-"
REPARTITION = "KSTREAM-REPARTITION-"
JOIN = "KSTREAM-JOIN-"
LEFTJOIN = "KSTREAM-LEFTJOIN-"
AGGREGATE = "KSTREAM-AGGREGATE-"
REDUCE = "KSTREAM-REDUCE-"
# KTable operators
KTABLE_SOURCE = "KTABLE-SOURCE-"
KTABLE_FILTER = "KTABLE-FILTER-"
KTABLE_MAPVALUES = "KTABLE-MAPVALUES-"
KTABLE_TOSTREAM = "KTABLE-TOSTREAM-"
KTABLE_SELECT = "KTABLE-SELECT-"
KTABLE_AGGREGATE = "KTABLE-AGGREGATE-"
KTABLE_REDUCE = "KTABLE-REDUCE-"
KTABLE_JOINTHIS = "KTABLE-JOINTHIS-"
KTABLE_JOINOTHER = "KTABLE-JOINOTHER-"
KTABLE_MERGE = "KTABLE-MERGE-"
STATE_STORE = "STATE-STORE-"
KTABLE_SUPPRESS = "KTABLE-SUPPRESS-"
# CogroupedKStream operators
COGROUP_AGGREGATE = "COGROUPKSTREAM-AGGREGATE-"
COGROUP_MERGE = "COGROUPKSTREAM-MERGE-"
# Foreign-key table-table join (KTableImpl.doJoinOnForeignKey)
FK_JOIN = "KTABLE-FK-JOIN-"
FK_JOIN_STATE_STORE = FK_JOIN + "SUBSCRIPTION-STATE-STORE-"
FK_JOIN_SUBSCRIPTION_REGISTRATION = FK_JOIN + "SUBSCRIPTION-REGISTRATION-"
FK_JOIN_SUBSCRIPTION_RESPONSE = FK_JOIN + "SUBSCRIPTION-RESPONSE-"
FK_JOIN_SUBSCRIPTION_PROCESSOR = FK_JOIN + "SUBSCRIPTION-PROCESSOR-"
FK_JOIN_RESPONSE_RESOLVER = FK_JOIN + "SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-"
FK_JOIN_OUTPUT = FK_JOIN + "OUTPUT-"
KTABLE_SINK = "KTABLE-SINK-"
TOPIC_SUFFIX = "-topic"

TABLE_SOURCE_SUFFIX = "-source"
REPARTITION_SUFFIX = "-repartition"
CHANGELOG_SUFFIX = "-changelog"

_GENERATED = re.compile(r"KSTREAM.*-[0-9]{10}")
_LEGAL = re.compile(r"[a-zA-Z0-9._-]+")
MAX_NAME_LENGTH = 249


def processor_name(prefix: str, index: int) -> str:
    return f"{prefix}{index:010d}"


def store_name(prefix: str, index: int) -> str:
    return f"{prefix}{STATE_STORE}{index:010d}"


def repartition_topic_name(prefix: str) -> str:
    """``<prefix>-repartition`` unless ``prefix`` already ends with the suffix."""
    return prefix if prefix.endswith(REPARTITION_SUFFIX) else prefix + REPARTITION_SUFFIX


def is_generated_repartition_prefix(prefix: str) -> bool:
    """Whether a repartition topic prefix was generated (its nodes then keep generated names)."""
    return _GENERATED.fullmatch(prefix) is not None


def changelog_topic(application_id: str, store: str) -> str:
    return f"{application_id}-{store}{CHANGELOG_SUFFIX}"


def validate_name(name: str) -> str:
    """User-given names become topic names, so they obey Kafka's topic name rules."""
    if not name:
        raise ValueError("Name is illegal, it can't be empty")
    if name in (".", ".."):
        raise ValueError("Name cannot be \".\" or \"..\"")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"Name is illegal, it can't be longer than {MAX_NAME_LENGTH} characters, name: {name}")
    if not _LEGAL.fullmatch(name):
        raise ValueError(
            f"Name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, "
            "'.', '_' and '-'")
    return name
