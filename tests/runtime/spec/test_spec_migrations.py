"""Format migrations: older documents are brought up to date before the shape check.

Only format_version 1 exists, so the mechanism is proven with fixture migrations
(a made-up version 0 whose nodes called their params "config").
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from runtime.spec import FORMAT_VERSION, SpecError, dump_document, list_examples, load_document, load_example
from runtime.spec import migrations
from runtime.spec.migrations import MIGRATIONS, migrate, register_migration


def _version_0() -> dict[str, Any]:
    return {
        "format_version": 0,
        "name": "old",
        "nodes": [{"id": "in", "type": "source.stream", "config": {"topics": ["a"]}}],
        "edges": [],
    }


def _rename_config_to_params(data: dict[str, Any]) -> dict[str, Any]:
    for node in data["nodes"]:
        node["params"] = node.pop("config", {})
    return data


@pytest.fixture
def zero_to_one(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(MIGRATIONS, 0, _rename_config_to_params)
    yield


def test_the_current_version_is_1_and_no_migration_exists_yet() -> None:
    assert FORMAT_VERSION == 1
    assert MIGRATIONS == {}


def test_a_registered_migration_is_applied_before_the_shape_check(zero_to_one: None) -> None:
    doc = load_document(_version_0())
    assert doc.format_version == 1
    assert doc.nodes[0].params == {"topics": ["a"]}
    assert dump_document(doc)["nodes"][0]["params"] == {"topics": ["a"]}


def test_without_the_migration_version_0_is_refused_with_a_clear_message() -> None:
    with pytest.raises(SpecError) as info:
        load_document(_version_0())
    [problem] = info.value.problems
    assert (problem.node_id, problem.path, problem.severity) == (None, "format_version", "error")
    assert problem.message == "format_version 0 is older than any this program can read (the oldest is 1)"


def test_migrations_chain_from_older_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def minus_one_to_zero(data: dict[str, Any]) -> dict[str, Any]:
        seen.append(data["format_version"])
        data["title"] = data.pop("name_of_topology")
        return data

    def zero_to_one(data: dict[str, Any]) -> dict[str, Any]:
        seen.append(data["format_version"])
        data["name"] = data.pop("title")
        return data

    monkeypatch.setitem(MIGRATIONS, -1, minus_one_to_zero)
    monkeypatch.setitem(MIGRATIONS, 0, zero_to_one)
    old = {"format_version": -1, "name_of_topology": "chained", "nodes": [], "edges": []}
    doc = load_document(old)
    # Each step sees the version it migrates from: migrate sets format_version between steps.
    assert seen == [-1, 0]
    assert (doc.name, doc.format_version) == ("chained", 1)


def test_a_gap_in_the_chain_names_the_oldest_readable_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MIGRATIONS, 0, _rename_config_to_params)
    with pytest.raises(SpecError, match=r"format_version -2 is older than any this program can read \(the oldest is 0\)"):
        load_document({"format_version": -2, "name": "x", "nodes": [], "edges": []})


def test_migration_leaves_the_callers_data_alone(zero_to_one: None) -> None:
    data = _version_0()
    before = copy.deepcopy(data)
    load_document(data)
    assert data == before


def test_a_newer_version_is_refused_naming_both_versions() -> None:
    data = dump_document(load_example("wordcount"))
    data["format_version"] = 7
    with pytest.raises(SpecError) as info:
        load_document(data)
    assert [p.message for p in info.value.problems] == [
        "format_version 7 is newer than the supported 1; this document was written by a newer Riffle",
    ]


@pytest.mark.parametrize("version", ["1", 1.0, True, None, [1]])
def test_a_version_that_is_not_an_integer_is_refused(version: Any) -> None:
    data = dump_document(load_example("wordcount"))
    data["format_version"] = version
    with pytest.raises(SpecError) as info:
        load_document(data)
    [problem] = info.value.problems
    assert problem.path == "format_version"
    assert problem.message == f"format_version must be an integer such as 1, not {version!r}"


def test_a_missing_version_is_left_to_the_shape_check() -> None:
    data = dump_document(load_example("wordcount"))
    del data["format_version"]
    with pytest.raises(SpecError) as info:
        load_document(data)
    assert [(p.path, p.message) for p in info.value.problems] == [
        ("format_version", "missing required field 'format_version'"),
    ]


@pytest.mark.parametrize("name", list_examples())
def test_current_documents_round_trip_unchanged(name: str) -> None:
    data = dump_document(load_example(name))
    assert migrate(data) is data  # nothing to do, nothing copied
    assert dump_document(load_document(json.loads(json.dumps(data)))) == data


def test_register_migration_refuses_current_or_duplicate_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", {})
    with pytest.raises(ValueError, match="older than 1"):
        register_migration(1)
    register_migration(0)(_rename_config_to_params)
    assert migrations.MIGRATIONS == {0: _rename_config_to_params}
    with pytest.raises(ValueError, match="already registered"):
        register_migration(0)(_rename_config_to_params)


def test_a_step_that_returns_no_dict_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="the migration from format_version 0 returned NoneType"):
        migrate(_version_0(), {0: lambda data: None})  # type: ignore[arg-type, return-value]
