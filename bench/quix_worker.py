"""The Quix Streams side of bench/quix_compare.py: one workload as a Quix Application.

Runs with bench/.venv-quix/bin/python (quixstreams 3.28.1 lives only there; see
bench/quix-venv.sh). Prints ``START <epoch seconds>`` just before ``app.run()``; the
comparison measures from that line. Runs until killed.

    quix_worker.py WORKLOAD --bootstrap B --app-id A --input T [--table T] --output T --state-dir D
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from quixstreams import Application
from quixstreams.dataframe.windows import Count, Mean, Min


def stateless_keep(value: dict[str, Any]) -> bool:
    # the same filter/map as bench/riffle_worker.py and the batch check
    return value["amount"] >= 50.0


def stateless_map(value: dict[str, Any]) -> dict[str, Any]:
    return {"id": value["id"], "cents": round(value["amount"] * 100), "country": value["country"].upper()}


def count_word(_value: Any, state: Any) -> int:
    count = state.get("count", 0) + 1
    state.set("count", count)
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=["stateless", "wordcount", "windowed", "join"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--table")
    parser.add_argument("--output", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--commit-interval", type=float, default=1.0)
    args = parser.parse_args()

    app = Application(
        broker_address=args.bootstrap,
        consumer_group=args.app_id,
        auto_offset_reset="earliest",
        commit_interval=args.commit_interval,
        # Tansu lets a new group join fast only with a short session timeout
        consumer_extra_config={"session.timeout.ms": 6000},
        state_dir=args.state_dir,
        processing_guarantee="at-least-once",
        loglevel="WARNING",
    )
    out = app.topic(args.output, key_serializer="str", value_serializer="json")

    if args.workload == "stateless":
        sdf = app.dataframe(app.topic(args.input, key_deserializer="str", value_deserializer="json"))
        sdf = sdf.filter(stateless_keep).apply(stateless_map)
        sdf.to_topic(out)
    elif args.workload == "wordcount":
        sdf = app.dataframe(app.topic(args.input, key_deserializer="bytes", value_deserializer="str"))
        sdf = sdf.apply(lambda line: line.lower().split(), expand=True)
        sdf = sdf.group_by(lambda word: word, name="word")   # repartition topic
        sdf = sdf.apply(count_word, stateful=True)
        sdf.to_topic(out)
    elif args.workload == "windowed":
        trades = app.topic(args.input, key_deserializer="str", value_deserializer="json",
                           timestamp_extractor=lambda value, _h, _ts, _tt: value["ts"])
        sdf = app.dataframe(trades)
        sdf = (sdf.hopping_window(duration_ms=5000, step_ms=1000, grace_ms=1000)
               .agg(count=Count(), min=Min("price"), avg=Mean("price"))
               # per-partition event time, as Kafka Streams' stream time
               .final(closing_strategy="partition"))
        sdf.to_topic(out)
    else:
        views = app.dataframe(app.topic(args.input, key_deserializer="str", value_deserializer="json"))
        users = app.dataframe(app.topic(args.table, key_deserializer="str", value_deserializer="json"))
        sdf = views.join_asof(users, how="left", on_merge="keep-left")
        sdf.to_topic(out)

    print(f"START {time.time():.6f}", flush=True)
    app.run()


if __name__ == "__main__":
    sys.exit(main())
