from __future__ import annotations

import itertools
import json
import random

from studio.topologies import generators


def take(name: str, n: int, **kwargs: str) -> list[generators.Record]:
    clock = itertools.count(1_700_000_000_000, 100)
    return list(itertools.islice(generators.GENERATORS[name](random.Random(1), lambda: next(clock), **kwargs), n))


def test_word_count_lines_are_sentences_of_words() -> None:
    records = take("wordcount", 50, lines="in")
    assert {r.topic for r in records} == {"in"} and all(r.key is None for r in records)
    for record in records:
        words = record.value.decode().split()
        assert len(words) >= 3 and all(w.strip(".,").isalpha() for w in words)


def test_trades_are_keyed_by_ticker_with_positive_prices() -> None:
    for record in take("stocks", 200):
        trade = json.loads(record.value)
        assert set(trade) == {"ticker", "price", "ts"}
        assert record.key == trade["ticker"].encode() and trade["price"] > 0
        assert record.topic == "stock-trades"


def test_clickstream_sends_profiles_before_views_and_searches_keyed_by_user() -> None:
    records = take("clickstream", 300)
    profiles = [r for r in records if r.topic == "user-profiles"]
    first_view = next(i for i, r in enumerate(records) if r.topic == "page-views")
    profiled = {r.key for r in records[:first_view]}
    assert len(profiled) == 20
    for record in records:
        value = json.loads(record.value)
        assert record.key == value["user_id"].encode()
    views = [r for r in records if r.topic == "page-views"]
    searches = [r for r in records if r.topic == "searches"]
    assert views and searches and len(profiles) >= 20
    assert all(r.key in profiled for r in views)
    # Every search is followed by a view of the same user (within the join window).
    for i, record in enumerate(records):
        if record.topic == "searches":
            assert records[i + 1].topic == "page-views" and records[i + 1].key == record.key
