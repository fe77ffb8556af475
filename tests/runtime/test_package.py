"""The package's public face: names from DESIGN.md, and no Kafka client at import time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import runtime

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_core_does_not_load_a_kafka_client() -> None:
    code = ("import sys, runtime, runtime.dsl, runtime.testing, runtime.processor, "
            "runtime.state, runtime.exec.task, runtime.serdes; "
            "bad = [m for m in ('confluent_kafka', 'django', 'celery', 'channels') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["StreamsBuilder", "Serdes", "Stores", "Topology",
                                  "Materialized", "StreamsError", "ProcessingError"])
def test_design_names_are_exported(name: str) -> None:
    assert name in runtime.__all__
    assert getattr(runtime, name) is not None


def test_streams_app_is_imported_lazily() -> None:
    from runtime.app import StreamsApp

    assert runtime.StreamsApp is StreamsApp


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        runtime.NoSuchThing  # noqa: B018


def test_processor_api_module() -> None:
    from runtime.processor import Processor, PunctuationType, Record

    assert PunctuationType.STREAM_TIME is not PunctuationType.WALL_CLOCK_TIME
    assert Record("k", "v", 1).key == "k"
    assert issubclass(Processor, object)


def test_py_typed_marker_ships() -> None:
    assert (ROOT / "runtime" / "py.typed").exists()
