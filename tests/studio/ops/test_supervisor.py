"""The supervisor behind runstack, with small shell children (fast, no services)."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time

import pytest

from studio.ops.supervisor import ChildFailed, Supervisor

from tests.studio.ops.procscan import descendants, survivors

ENV = dict(os.environ)
# A child that forks a grandchild into its own process group, like a Celery pool.
FORKING = ["sh", "-c", "sleep 300 & echo ready; wait"]
# One that ignores SIGTERM: only SIGKILL ends it.
STUBBORN = ["sh", "-c", "trap '' TERM; echo stubborn; while true; do sleep 0.1; done"]


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_output_lines_are_prefixed_with_the_child_name() -> None:
    out = io.StringIO()
    supervisor = Supervisor(out)
    child = supervisor.start("echoer", ["sh", "-c", "echo one; echo two >&2"], env=ENV)
    child.process.wait()
    child.pump.join(timeout=5)
    lines = out.getvalue().splitlines()
    assert "echoer    | one" in lines
    assert "echoer    | two" in lines  # stderr is joined to stdout


def test_stop_all_reaches_grandchildren_and_stubborn_children() -> None:
    out = io.StringIO()
    supervisor = Supervisor(out, stop_timeout=1.0)
    forking = supervisor.start("forking", FORKING, env=ENV)
    stubborn = supervisor.start("stubborn", STUBBORN, env=ENV)
    wait_for(lambda: "forking   | ready" in out.getvalue() and "stubborn  | stubborn" in out.getvalue())
    tree = {p.pid for p in descendants(os.getpid()) if p.sid in {forking.process.pid, stubborn.process.pid}}
    sessions = {forking.process.pid, stubborn.process.pid}
    assert len([p for p in survivors(set(), sessions) if "sleep" in p.command]) >= 1
    started = time.monotonic()
    supervisor.stop_all()
    assert time.monotonic() - started < 8
    assert len(tree) >= 3  # two shells and at least one forked sleep
    assert survivors(tree, sessions) == []
    assert "stubborn did not stop within 1 s; killing it" in out.getvalue()


def test_a_dying_child_is_reported_by_name_and_code() -> None:
    out = io.StringIO()
    supervisor = Supervisor(out, stop_timeout=2.0)
    keeper = supervisor.start("keeper", FORKING, env=ENV)
    supervisor.start("crasher", ["sh", "-c", "sleep 0.3; exit 3"], env=ENV)
    with pytest.raises(ChildFailed) as failed:
        supervisor.wait()
    assert failed.value.child.name == "crasher"
    assert failed.value.code == 3
    supervisor.stop_all()
    assert survivors({keeper.process.pid}, {keeper.process.pid}) == []


def test_sigterm_to_the_supervisor_requests_a_stop() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers need the main thread")
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    supervisor = Supervisor(io.StringIO(), stop_timeout=2.0)
    try:
        supervisor.install_signal_handlers()
        child = supervisor.start("sleeper", FORKING, env=ENV)
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()
        supervisor.wait()  # returns instead of raising: a requested stop
        assert supervisor.signal_name == "SIGTERM"
        supervisor.stop_all()
        assert survivors({child.process.pid}, {child.process.pid}) == []
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def test_run_to_completion_returns_the_exit_code() -> None:
    out = io.StringIO()
    supervisor = Supervisor(out)
    assert supervisor.run_to_completion("step", [sys.executable, "-c", "print('done'); raise SystemExit(4)"], env=ENV, timeout=30) == 4
    assert "step      | done" in out.getvalue().splitlines()
