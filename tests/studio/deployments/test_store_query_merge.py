"""The pure parts of store queries: keys given as text, answers merged across replicas,
store values as JSON."""

from __future__ import annotations

import pytest

from runtime import ValueAndTimestamp
from studio.deployments.queries import merge_entries, merge_lookup, parse_key
from studio.deployments.query_server import to_json


def test_keys_are_read_with_the_store_key_serde() -> None:
    assert parse_key("string", " a b ") == " a b "
    assert parse_key("long", "-42") == -42
    assert parse_key("double", "1.5") == 1.5
    assert parse_key("json", '{"user": 7}') == {"user": 7}
    assert parse_key("bytes", "AAE=") == "AAE="
    for serde, text, why in [("long", "x", "not an integer"), ("json", "abc", "not JSON"),
                             ("bytes", "**", "not base64"), ("double", "one", "not a number")]:
        with pytest.raises(ValueError, match=why):
            parse_key(serde, text)


def test_answers_merge_in_store_order_and_report_truncation() -> None:
    answers = [
        {"ok": True, "entries": [{"key": "b", "value": 2, "order": "62"}, {"key": "d", "value": 4, "order": "64"}]},
        {"ok": True, "entries": [{"key": "a", "value": 1, "order": "61"}, {"key": "c", "value": 3, "order": "63"}]},
        {"ok": True, "entries": []},
    ]
    entries, truncated = merge_entries(answers, 3)
    assert [e["key"] for e in entries] == ["a", "b", "c"] and truncated
    assert all("order" not in e for e in entries)
    assert merge_entries(answers, 4) == (
        [{"key": k, "value": v} for k, v in [("a", 1), ("b", 2), ("c", 3), ("d", 4)]], False)
    assert merge_lookup([{"ok": True, "entries": []}, {"ok": True, "entries": [
        {"key": "a", "value": 1, "timestamp": 5, "order": "61"}]}]) == {"key": "a", "value": 1, "timestamp": 5}
    assert merge_lookup([{"ok": True, "entries": []}]) is None


def test_store_values_become_json() -> None:
    assert to_json(b"\x00\x01") == "AAE="
    assert to_json({"n": float("nan"), "l": (1, b"\xff")}) == {"n": "nan", "l": [1, "/w=="]}
    assert to_json(ValueAndTimestamp(3, 9)) == [3, 9]
