"""Realistic input for the example topologies, for demos and tests.

Each generator yields `Record`s for its example's input topics, endlessly; the
`generate_examples` command paces and produces them. Pure: no Kafka, seeded randomness,
record timestamps passed in by the caller.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# -- records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    topic: str
    key: bytes | None
    value: bytes


Clock = Callable[[], int]  # epoch milliseconds

# -- word count: sentences from a small vocabulary --------------------------------------

_SUBJECTS = ["the stream", "a consumer", "every producer", "the broker", "our topology",
             "the window", "a table", "this record", "the changelog", "each partition"]
_VERBS = ["reads", "writes", "counts", "joins", "filters", "replays", "commits", "aggregates",
          "forwards", "repartitions"]
_OBJECTS = ["the events", "kafka records", "late arrivals", "every word", "the offsets",
            "a hopping window", "the state store", "fresh data", "the input topic", "old values"]
_TAILS = ["", "", " quickly", " again", " in order", " exactly once", " all day",
          " without loss", " as they arrive", " at least once"]


def sentences(rng: random.Random) -> Iterator[str]:
    while True:
        yield (f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} "
               f"{rng.choice(_OBJECTS)}{rng.choice(_TAILS)}").capitalize()


def wordcount(rng: random.Random, now: Clock, *, lines: str = "text-lines") -> Iterator[Record]:
    for sentence in sentences(rng):
        yield Record(lines, None, sentence.encode())


# -- stocks: a random walk of trade prices per ticker -----------------------------------

_TICKERS = {"AAPL": 189.0, "MSFT": 412.0, "GOOG": 141.0, "AMZN": 178.0, "NVDA": 121.0,
            "CFLT": 27.0}


def stocks(rng: random.Random, now: Clock, *, trades: str = "stock-trades") -> Iterator[Record]:
    prices = dict(_TICKERS)
    while True:
        ticker = rng.choice(sorted(prices))
        # Small relative moves, as a liquid stock trades tick by tick.
        prices[ticker] = max(1.0, prices[ticker] * (1 + rng.gauss(0, 0.002)))
        trade = {"ticker": ticker, "price": round(prices[ticker], 2), "ts": now()}
        yield Record(trades, ticker.encode(), json.dumps(trade).encode())


# -- click-stream: profiles first, then page views with searches around them -------------

_REGIONS = ["eu-west", "us-east", "us-west", "ap-south"]
_PLANS = ["free", "pro", "team"]
_PAGES = ["/", "/pricing", "/docs/streams", "/docs/joins", "/blog/windowing", "/signup",
          "/docs/state-stores", "/careers"]
_QUERIES = ["kafka streams join", "hopping window", "exactly once", "state store restore",
            "word count example", "pricing", "session windows", "changelog topic"]


def clickstream(
    rng: random.Random, now: Clock, *, views: str = "page-views",
    profiles: str = "user-profiles", searches: str = "searches", users: int = 20,
) -> Iterator[Record]:
    ids = [f"user-{i:03d}" for i in range(1, users + 1)]
    # The table side first, so that most views find their viewer's profile.
    for user in ids:
        profile = {"user_id": user, "name": user.replace("-", " ").title(),
                   "region": rng.choice(_REGIONS), "plan": rng.choice(_PLANS)}
        yield Record(profiles, user.encode(), json.dumps(profile).encode())
    while True:
        user = rng.choice(ids)
        roll = rng.random()
        if roll < 0.05:
            # A profile changes now and then: the join then sees the new version.
            profile = {"user_id": user, "name": user.replace("-", " ").title(),
                       "region": rng.choice(_REGIONS), "plan": rng.choice(_PLANS)}
            yield Record(profiles, user.encode(), json.dumps(profile).encode())
        elif roll < 0.35:
            # A search, followed at once by the view it led to: inside the 1 s join window.
            query = rng.choice(_QUERIES)
            yield Record(searches, user.encode(),
                         json.dumps({"user_id": user, "query": query, "ts": now()}).encode())
            yield _view(rng, now, views, user)
        else:
            yield _view(rng, now, views, user)


def _view(rng: random.Random, now: Clock, topic: str, user: str) -> Record:
    view = {"user_id": user, "page": rng.choice(_PAGES), "ts": now()}
    return Record(topic, user.encode(), json.dumps(view).encode())


# -- registry --------------------------------------------------------------------------

GENERATORS: dict[str, Callable[..., Iterator[Record]]] = {
    "wordcount": wordcount,
    "stocks": stocks,
    "clickstream": clickstream,
}

# Which generator argument feeds which source node of the example document.
SOURCE_ARGUMENTS: dict[str, dict[str, str]] = {
    "wordcount": {"lines": "lines"},
    "stocks": {"trades": "trades"},
    "clickstream": {"page-views": "views", "user-profiles": "profiles", "searches": "searches"},
}
