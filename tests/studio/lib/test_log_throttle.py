from __future__ import annotations

import logging

import pytest

from studio.lib.log_throttle import RepeatThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(name: str, msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)


def test_one_of_a_run_passes_per_interval_and_says_how_many_it_replaces() -> None:
    clock = Clock()
    throttle = RepeatThrottle(60.0, clock=clock)
    passed = []
    for second in range(150):
        clock.now = 1000.0 + second
        entry = record("channels_redis.pubsub", "Unexpected exception in receive task")
        if throttle.filter(entry):
            passed.append(entry.getMessage())
    assert passed == [
        "Unexpected exception in receive task",
        "Unexpected exception in receive task (59 more like this in the last 60 s)",
        "Unexpected exception in receive task (59 more like this in the last 60 s)",
    ]


@pytest.mark.parametrize("other", [("other.logger", "Unexpected exception in receive task"),
                                   ("channels_redis.pubsub", "Unexpected exception while cleaning-up channel:")])
def test_other_loggers_and_other_messages_are_counted_apart(other: tuple[str, str]) -> None:
    throttle = RepeatThrottle(60.0, clock=Clock())
    assert throttle.filter(record("channels_redis.pubsub", "Unexpected exception in receive task"))
    assert throttle.filter(record(*other))


def test_arguments_are_kept_in_the_summary() -> None:
    clock = Clock()
    throttle = RepeatThrottle(10.0, clock=clock)
    assert throttle.filter(record("x", "lost %s", "a"))
    clock.now += 1
    assert not throttle.filter(record("x", "lost %s", "b"))
    clock.now += 10
    summary = record("x", "lost %s", "c")
    assert throttle.filter(summary)
    assert summary.getMessage() == "lost c (1 more like this in the last 11 s)"
