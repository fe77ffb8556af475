"""POST /api/expressions/check/: one expression compiled for an editor's inline errors."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.studio.conftest import post_json


def _check(client: Client, source: Any, kind: Any = "predicate") -> Any:
    return post_json(client, "/api/expressions/check/", {"source": source, "kind": kind})


def test_a_valid_expression_is_ok(api: Client) -> None:
    response = _check(api, 'value["amount"] > 100 and value.get("currency") == "EUR"')
    assert response.status_code == 200
    assert response.json() == {"ok": True, "error": None}


def test_a_syntax_error_points_at_the_unexpected_token(api: Client) -> None:
    # `value["amount"]` is 15 characters; the second ">" is the 19th character.
    response = _check(api, 'value["amount"] > > 1')
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False
    assert body["error"]["message"].startswith("invalid syntax")
    assert (body["error"]["line"], body["error"]["column"]) == (1, 19)


def test_an_unknown_name_is_placed_in_characters_not_bytes(api: Client) -> None:
    # "é" is two bytes in UTF-8; an editor counts it as one character.
    response = _check(api, 'key == "é" or secret')
    body = response.json()
    assert body["ok"] is False
    assert "unknown name 'secret'" in body["error"]["message"]
    assert (body["error"]["line"], body["error"]["column"]) == (1, 15)


def test_a_forbidden_method_is_refused_where_its_receiver_starts(api: Client) -> None:
    response = _check(api, 'key == "x" or value.pop("a")')
    body = response.json()
    assert body["ok"] is False
    assert "'.pop' is not an allowed attribute or method" in body["error"]["message"]
    assert (body["error"]["line"], body["error"]["column"]) == (1, 15)


def test_a_dunder_on_a_second_line_is_refused_there(api: Client) -> None:
    # A line break outside brackets is accepted (the compiler retries in parentheses),
    # and the error still points into the text as written.
    response = _check(api, 'value["a"]\n  + __import__("os")', "value_mapper")
    body = response.json()
    assert body["ok"] is False
    assert "names starting with '_' are not allowed" in body["error"]["message"]
    assert (body["error"]["line"], body["error"]["column"]) == (2, 5)


def test_the_kind_decides_which_variables_exist(api: Client) -> None:
    assert _check(api, "agg + value", "reducer").json() == {"ok": True, "error": None}
    body = _check(api, "key", "reducer").json()
    assert body["ok"] is False
    assert "unknown name 'key'" in body["error"]["message"]
    assert "agg, value" in body["error"]["message"]


def test_compiling_evaluates_nothing(api: Client) -> None:
    # Evaluated, this would raise ZeroDivisionError; compiling only defines the function.
    assert _check(api, "1 // 0", "initializer").json() == {"ok": True, "error": None}


def test_an_empty_expression_is_an_error_without_a_place(api: Client) -> None:
    body = _check(api, "   ").json()
    assert body["ok"] is False
    assert body["error"] == {"message": "the expression is empty", "line": None, "column": None}


def test_an_unknown_kind_is_a_400_on_kind(api: Client) -> None:
    response = _check(api, "value", "transmogrifier")
    assert response.status_code == 400
    assert [p["path"] for p in response.json()["problems"]] == ["kind"]


def test_a_source_past_the_compilers_limit_is_refused(api: Client) -> None:
    longest = "'" + "a" * 3998 + "'"  # 4000 characters: the limit itself is allowed
    assert _check(api, longest, "initializer").json() == {"ok": True, "error": None}
    response = _check(api, longest + " ", "initializer")
    assert response.status_code == 400
    assert [p["path"] for p in response.json()["problems"]] == ["source"]


def test_a_missing_source_is_a_400(api: Client) -> None:
    response = post_json(api, "/api/expressions/check/", {"kind": "predicate"})
    assert response.status_code == 400
    assert [p["path"] for p in response.json()["problems"]] == ["source"]


def test_anonymous_users_are_refused(anonymous: Client, db: None) -> None:
    assert _check(anonymous, "value").status_code == 401
