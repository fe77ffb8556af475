"""The evaluation budget counts the evaluating thread's CPU time, not the wall clock:
a worker whose thread waits for a core or for the GIL must not fail healthy
expressions (the stream load suite met exactly that: `re_split(r"\\W+", ...)` stopped as
"took too long" on a loaded machine, and the deployment failed)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator

import pytest

from runtime.spec import ExpressionLimitError, compile_expression
from runtime.spec.expressions.functions import _run_regex
from runtime.spec.expressions.guards import Budget, SandboxLimit
from runtime.spec.expressions.limits import MAX_EVALUATION_SECONDS, REGEX_ATTEMPTS


def burn_cpu(seconds: float) -> None:
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def test_time_the_thread_spends_waiting_is_not_charged() -> None:
    budget = Budget()
    budget.remaining_seconds()
    time.sleep(MAX_EVALUATION_SECONDS * 3)       # descheduled, as under load
    assert budget.remaining_seconds() > MAX_EVALUATION_SECONDS / 2


def test_cpu_time_spent_is_charged() -> None:
    budget = Budget()
    budget.remaining_seconds()
    burn_cpu(MAX_EVALUATION_SECONDS * 1.5)
    with pytest.raises(SandboxLimit, match="of CPU time"):
        budget.remaining_seconds()


def test_a_regex_timeout_with_budget_left_runs_the_match_again() -> None:
    # The regex package counts the process's CPU, other threads' included.
    calls: list[float] = []

    def call(timeout: float) -> str:
        calls.append(timeout)
        if len(calls) < 3:
            raise TimeoutError
        return "matched"

    assert _run_regex(Budget(), call) == "matched"
    assert len(calls) == 3 and all(0 < t <= MAX_EVALUATION_SECONDS + 1e-9 for t in calls)


def test_a_regex_that_keeps_timing_out_is_stopped() -> None:
    calls = 0

    def call(timeout: float) -> str:
        nonlocal calls
        calls += 1
        raise TimeoutError

    with pytest.raises(SandboxLimit, match="regular expression took too long"):
        _run_regex(Budget(), call)
    assert calls == REGEX_ATTEMPTS


@pytest.fixture
def busy_sibling_thread() -> Iterator[None]:
    """A thread of the same process burning CPU outside the GIL (hashlib releases it),
    as a Kafka client's threads do."""
    stop = threading.Event()
    data = b"x" * (8 << 20)

    def burn() -> None:
        while not stop.is_set():
            hashlib.sha256(data).digest()

    thread = threading.Thread(target=burn, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(5)


def test_a_backtracking_regex_is_still_stopped_beside_a_busy_thread(busy_sibling_thread: None) -> None:
    function = compile_expression("re_search('(x+x+)+y', value)", "value_mapper")
    started = time.perf_counter()
    with pytest.raises(ExpressionLimitError, match="regular expression took too long"):
        function("x" * 5000)
    assert time.perf_counter() - started < 2.0


def test_healthy_regexes_pass_beside_a_busy_thread_and_idle_waits(busy_sibling_thread: None) -> None:
    function = compile_expression(r're_split(r"\W+", value.lower())', "flat_value_mapper")
    for i in range(2000):
        assert function(f"Kafka streams, line {i}!") == ["kafka", "streams", "line", str(i), ""]
