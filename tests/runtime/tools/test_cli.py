"""``python -m runtime run``: loading topologies and configuration, and a graceful stop
on SIGTERM (finish the batch, commit, close) checked against a real broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runtime.__main__ import main
from runtime.errors import ConfigError
from runtime.state.checkpoint import RedisCheckpointStore
from runtime.tools.run import load_properties, load_topology
from runtime.topology import Topology
from tests.runtime.tools.helpers import committed, next_offsets
from tests.runtime.kafka.helpers import (
    counts_per_key_in_order,
    latest_per_key,
    make_lines,
    produce_lines,
    read_topic,
    wait_for_output,
    word_counts,
)

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "runtime" / "spec" / "examples"


# -- configuration and topology loading (no broker) ------------------------------------


def test_properties_follow_the_java_format() -> None:
    text = textwrap.dedent("""\
        # a comment
        ! another comment
        application.id = wc
        bootstrap.servers:localhost:9092
        commit.interval.ms 200
        long.value = a,\\
            b
        empty.value =
    """)
    assert load_properties(text) == {
        "application.id": "wc",
        "bootstrap.servers": "localhost:9092",
        "commit.interval.ms": "200",
        "long.value": "a,b",
        "empty.value": "",
    }


def _write_module(tmp_path: Path, name: str, body: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(body))
    monkeypatch.syspath_prepend(str(tmp_path))


def test_a_topology_attribute_or_a_factory_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_module(tmp_path, "cli_app_a", """\
        from tests.runtime.kafka.helpers import dsl_word_count
        TOPOLOGY = dsl_word_count("in", "out")
        def make():
            return dsl_word_count("in", "out")
        NOT_A_TOPOLOGY = 42
    """, monkeypatch)
    assert isinstance(load_topology("cli_app_a:TOPOLOGY"), Topology)
    made = load_topology("cli_app_a:make")
    assert isinstance(made, Topology) and made.source_topics(0, "app") is not None
    with pytest.raises(ConfigError, match="not a Topology"):
        load_topology("cli_app_a:NOT_A_TOPOLOGY")
    with pytest.raises(ConfigError, match="module:attribute"):
        load_topology("cli_app_a")


def test_a_topology_document_compiles() -> None:
    topology = load_topology(str(EXAMPLES / "wordcount.json"))
    assert isinstance(topology, Topology)
    assert "text-lines" in topology.describe().__str__()


def test_bad_arguments_exit_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "no_such_module_xyz:app", "--set", "application.id=x"]) == 2
    assert "no_such_module_xyz" in capsys.readouterr().err
    assert main(["run", str(EXAMPLES / "wordcount.json"), "--set", "oops"]) == 2
    assert "key=value" in capsys.readouterr().err


# -- the engine on Kafka ---------------------------------------------------------------

APP_MODULE = """\
from tests.runtime.kafka.helpers import dsl_word_count

def topology():
    return dsl_word_count({lines!r}, {counts!r})
"""


def start_cli(tmp_path: Path, module: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}
    return subprocess.Popen([sys.executable, "-m", "runtime", "run", f"{module}:topology", *args],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop_cli(process: subprocess.Popen[str], sig: int = signal.SIGTERM, timeout: float = 60) -> tuple[int, str]:
    process.send_signal(sig)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"the CLI did not stop within {timeout} s after {sig!r}:\n{output[-4000:]}")
    return process.returncode, output


def assert_counts_only_grow(records: list[Any]) -> None:
    # Every update of a word's count exceeds the one before: a record counted twice
    # after the restart would repeat a value or step back.
    for word, seq in counts_per_key_in_order(records).items():
        assert all(b > a for a, b in zip(seq, seq[1:])), f"{word}: {seq}"


@pytest.mark.kafka
@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_sigterm_commits_and_a_restart_continues_exactly(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str],
    redis_url: str, tmp_path: Path, sig: int,
) -> None:
    lines_topic = create_topic("lines", partitions=2)
    counts_topic = create_topic("counts", partitions=2)
    app_id = unique_name("cli")
    module = f"cli_wc_{app_id.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(APP_MODULE.format(lines=lines_topic, counts=counts_topic))
    properties = tmp_path / "app.properties"
    properties.write_text(f"application.id={app_id}\nbootstrap.servers={kafka_bootstrap}\n"
                          f"riffle.redis.url={redis_url}\n")
    # A long commit interval, so that only the commit on close can cover the output, and
    # no record cache, so that the output does not wait for a commit.
    args = ("--config", str(properties), "--set", "commit.interval.ms=600000",
            "--set", "statestore.cache.max.bytes=0", "--set", "riffle.metrics.interval.ms=500")
    first, second = make_lines(200, seed=41), make_lines(150, seed=42)
    try:
        produce_lines(kafka_bootstrap, lines_topic, first)
        process = start_cli(tmp_path, module, *args)
        try:
            wait_for_output(kafka_bootstrap, counts_topic, dict(word_counts(first)), timeout=60)
        except BaseException:
            process.kill()
            print(process.communicate()[0][-4000:])
            raise
        code, output = stop_cli(process, sig)
        assert code == 0, output[-4000:]
        assert "closing" in output

        # The close committed everything the app had output.
        lines = read_topic(kafka_bootstrap, lines_topic)
        assert committed(kafka_bootstrap, app_id, lines_topic, 2) == next_offsets(lines, 2)

        produce_lines(kafka_bootstrap, lines_topic, second)
        process = start_cli(tmp_path, module, *args)
        try:
            records = wait_for_output(kafka_bootstrap, counts_topic, dict(word_counts(first + second)), timeout=60)
        finally:
            code, output = stop_cli(process)
        assert code == 0, output[-4000:]
        assert latest_per_key(records) == dict(word_counts(first + second))
        assert_counts_only_grow(read_topic(kafka_bootstrap, counts_topic))
    finally:
        RedisCheckpointStore(redis_url).delete_all(app_id)


@pytest.mark.kafka
@pytest.mark.timeout(60)
def test_an_app_failing_at_start_exits_non_zero(kafka_bootstrap: str, unique_name: Callable[[str], str],
                                                 tmp_path: Path) -> None:
    module = "cli_missing_topic"
    missing = unique_name("missing")
    (tmp_path / f"{module}.py").write_text(APP_MODULE.format(lines=missing, counts=missing + "-out"))
    process = start_cli(tmp_path, module, "--set", f"application.id={unique_name('cli')}",
                        "--set", f"bootstrap.servers={kafka_bootstrap}")
    deadline = time.monotonic() + 45
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    if process.poll() is None:
        stop_cli(process)
        raise AssertionError("the CLI kept running with a missing source topic")
    assert process.returncode == 1, process.stdout.read() if process.stdout else ""
