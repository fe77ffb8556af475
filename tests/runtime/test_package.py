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


@pytest.mark.parametrize("name", [
    "StreamsBuilder", "Serdes", "TimeWindows", "SlidingWindows", "SessionWindows", "JoinWindows",
    "Suppressed", "BufferConfig", "Windowed", "Stores", "WindowedSerdes", "Topology",
    "Materialized", "StreamsError", "ProcessingError", "GlobalKTable", "KGroupedTable",
    "CogroupedKStream", "SessionWindowedKStream", "TimeWindowedKStream"])
def test_design_names_are_exported(name: str) -> None:
    assert name in runtime.__all__
    assert getattr(runtime, name) is not None


# The operators DESIGN.md's runtime API contract lists per class.
CONTRACT_METHODS = {
    "KStream": "filter filter_not map map_values flat_map flat_map_values select_key peek "
               "foreach split merge repartition to to_table group_by_key group_by join "
               "left_join outer_join process",
    "KGroupedStream": "count reduce aggregate windowed_by cogroup",
    "KTable": "filter filter_not map_values to_stream join left_join outer_join group_by suppress",
    "KGroupedTable": "count reduce aggregate",
    "TimeWindowedKStream": "count reduce aggregate",
    "SessionWindowedKStream": "count reduce aggregate",
    "CogroupedKStream": "cogroup aggregate windowed_by",
    "StreamsBuilder": "stream table global_table add_state_store build",
    "Stores": "in_memory_key_value_store persistent_key_value_store key_value_store_builder "
              "in_memory_window_store persistent_window_store window_store_builder "
              "in_memory_session_store persistent_session_store session_store_builder",
    "TimeWindows": "of_size_with_no_grace of_size_and_grace advance_by",
    "SlidingWindows": "of_time_difference_and_grace of_time_difference_with_no_grace",
    "SessionWindows": "of_inactivity_gap_with_no_grace of_inactivity_gap_and_grace",
    "JoinWindows": "of_time_difference_with_no_grace of_time_difference_and_grace before after",
    "Suppressed": "until_window_closes until_time_limit",
    "BufferConfig": "unbounded max_records max_bytes",
    "WindowedSerdes": "time_windowed_serde_from session_windowed_serde_from",
    "Serdes": "string bytes integer long double json",
}


@pytest.mark.parametrize("cls", sorted(CONTRACT_METHODS))
def test_contract_operators_exist(cls: str) -> None:
    missing = [m for m in CONTRACT_METHODS[cls].split() if not callable(getattr(getattr(runtime, cls), m, None))]
    assert missing == []


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
