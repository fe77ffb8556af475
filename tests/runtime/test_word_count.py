"""Word count end to end through the test driver, checked against an independent count.

text-lines → flat_map_values(split on non-word characters, lowercase) → select_key(word)
→ filter(drop empty) → group_by_key → count → to_stream → to("word-counts").
"""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from runtime import Serdes, StreamsBuilder, Topology
from runtime.testing import TestRecord, TopologyTestDriver

LINES = [
    "Hello Kafka Streams",
    "All streams lead to Kafka",
    "Join Kafka Summit",
    "",
    "  ...hello?? KAFKA!  ",
    "Über straße, über!",
]


def build(store: str | None = "counts") -> Topology:
    b = StreamsBuilder()
    (b.stream("text-lines", key_serde=Serdes.string(), value_serde=Serdes.string())
     .flat_map_values(lambda line: re.split(r"\W+", line.lower()))
     .select_key(lambda _key, word: word)
     .filter(lambda _key, word: word != "")
     .group_by_key(key_serde=Serdes.string(), value_serde=Serdes.string())
     .count(store=store)
     .to_stream()
     .to("word-counts", key_serde=Serdes.string(), value_serde=Serdes.long()))
    return b.build()


def words_of(line: str) -> list[str]:
    # The test's own tokenizer: runs of letters/digits/underscore, lowercased.
    return [w.lower() for w in re.findall(r"\w+", line)]


def expected_updates(lines: list[str]) -> list[tuple[str, int]]:
    seen: Counter[str] = Counter()
    out = []
    for line in lines:
        for word in words_of(line):
            seen[word] += 1
            out.append((word, seen[word]))
    return out


def test_every_intermediate_count_is_emitted() -> None:
    with TopologyTestDriver(build(), {"application.id": "wc"}) as driver:
        lines = driver.create_input_topic("text-lines", Serdes.string(), Serdes.string())
        counts = driver.create_output_topic("word-counts", Serdes.string(), Serdes.long())
        for line in LINES:
            lines.pipe_input(None, line)
        assert counts.read_key_values_to_list() == expected_updates(LINES)
        assert counts.is_empty()


def test_final_counts_equal_a_batch_count_of_random_text() -> None:
    rng = random.Random(7)
    vocabulary = ["kafka", "streams", "python", "Riffle", "state", "store", "topic", "ÉTÉ"]
    text = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 12)))
            + rng.choice(["", ".", "!!", " - "]) for _ in range(300)]
    truth = Counter(w for line in text for w in words_of(line))
    with TopologyTestDriver(build(), {"application.id": "wc"}) as driver:
        lines = driver.create_input_topic("text-lines", Serdes.string(), Serdes.string())
        counts = driver.create_output_topic("word-counts", Serdes.string(), Serdes.long())
        lines.pipe_value_list(text)
        assert counts.read_key_values_to_map() == dict(truth)
        store = driver.get_key_value_store("counts")
        assert dict(store.all()) == dict(truth)
        assert store.get("kafka") == truth["kafka"]


def test_output_timestamps_are_the_max_seen_per_word() -> None:
    # KStreamAggregate forwards max(record timestamp, previous aggregate timestamp).
    with TopologyTestDriver(build(), {"application.id": "wc"}) as driver:
        lines = driver.create_input_topic("text-lines", Serdes.string(), Serdes.string())
        counts = driver.create_output_topic("word-counts", Serdes.string(), Serdes.long())
        lines.pipe_input(None, "a b", timestamp=100)
        lines.pipe_input(None, "a", timestamp=50)
        lines.pipe_input(None, "b", timestamp=150)
        assert counts.read_records_to_list() == [
            TestRecord("a", 1, 100), TestRecord("b", 1, 100),
            TestRecord("a", 2, 100), TestRecord("b", 2, 150)]


def test_changelog_records_match_the_updates() -> None:
    with TopologyTestDriver(build(), {"application.id": "wc"}) as driver:
        lines = driver.create_input_topic("text-lines", Serdes.string(), Serdes.string())
        counts = driver.create_output_topic("word-counts", Serdes.string(), Serdes.long())
        changelog = driver.create_output_topic("wc-counts-changelog", Serdes.string(),
                                               Serdes.long())
        for ts, line in enumerate(LINES):
            lines.pipe_input(None, line, timestamp=1000 + ts)
        updates = counts.read_records_to_list()
        assert changelog.read_records_to_list() == updates
        assert len(updates) == len(expected_updates(LINES))


def test_repartition_topic_carries_every_word() -> None:
    with TopologyTestDriver(build(), {"application.id": "wc"}) as driver:
        lines = driver.create_input_topic("text-lines", Serdes.string(), Serdes.string())
        lines.pipe_input(None, "x y x")
        repartition = driver.create_output_topic("wc-counts-repartition", Serdes.string(),
                                                 Serdes.string())
        assert repartition.read_key_values_to_list() == [("x", "x"), ("y", "y"), ("x", "x")]


def test_unnamed_store_is_reachable_by_its_generated_name() -> None:
    with TopologyTestDriver(build(store=None)) as driver:
        driver.create_input_topic("text-lines", Serdes.string(), Serdes.string()) \
            .pipe_input(None, "one two two")
        store = driver.get_key_value_store("KSTREAM-AGGREGATE-STATE-STORE-0000000004")
        assert dict(store.all()) == {"one": 1, "two": 2}


@pytest.mark.parametrize("bad_line", [b"\xff\xfe not utf-8"])
def test_undecodable_line_under_both_handlers(bad_line: bytes) -> None:
    from runtime.errors import DeserializationError

    for handler, fails in [("log-and-fail", True), ("log-and-continue", False)]:
        config = {"application.id": "wc", "deserialization.exception.handler": handler}
        with TopologyTestDriver(build(), config) as driver:
            lines = driver.create_input_topic("text-lines", Serdes.string(), Serdes.string())
            counts = driver.create_output_topic("word-counts", Serdes.string(), Serdes.long())
            lines.pipe_input(None, "before")
            if fails:
                with pytest.raises(DeserializationError) as caught:
                    driver.pipe_raw("text-lines", None, bad_line, 5)
                assert caught.value.topic == "text-lines" and caught.value.offset == 1
                assert caught.value.node == "KSTREAM-SOURCE-0000000000"
            else:
                driver.pipe_raw("text-lines", None, bad_line, 5)
                lines.pipe_input(None, "after")
            expected = [("before", 1)] + ([] if fails else [("after", 1)])
            assert counts.read_key_values_to_list() == expected
