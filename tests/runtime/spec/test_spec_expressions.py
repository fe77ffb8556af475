"""The expression language's ordinary behaviour: what users write, and what they get."""

from __future__ import annotations

import re
from typing import Any

import pytest

from runtime.spec import (
    ExpressionError,
    ExpressionLimitError,
    ExpressionRuntimeError,
    compile_expression,
    function_reference,
)
from runtime.spec.expressions import EXPRESSION_KINDS


def ev(source: str, kind: str, *args: Any) -> Any:
    return compile_expression(source, kind)(*args)


# --- the word count's expressions ---------------------------------------------------------

def test_word_count_splits_lines_into_lowercase_words() -> None:
    split = compile_expression(r're_split(r"\W+", value.lower())', "flat_value_mapper")
    line = "The Quick, quick brown fox! jumps."
    assert split(line) == re.split(r"\W+", line.lower())
    assert split(line) == ["the", "quick", "quick", "brown", "fox", "jumps", ""]


def test_word_count_keys_each_word_by_itself_and_drops_empty_ones() -> None:
    key_by_word = compile_expression("(value, value)", "key_value_mapper")
    non_empty = compile_expression("len(key) > 0", "predicate")
    assert key_by_word(None, "fox") == ("fox", "fox")
    assert non_empty("fox", "fox") is True
    assert non_empty("", "") is False


def test_unicode_words_stay_whole() -> None:
    assert ev(r're_split(r"\W+", value)', "flat_value_mapper", "café au lait") == ["café", "au", "lait"]


# --- kinds --------------------------------------------------------------------------------

def test_each_kind_sees_its_variables_in_the_dsl_order() -> None:
    assert ev("value['amount'] > 100", "predicate", "k", {"amount": 101}) is True
    assert ev("key + ':' + value", "mapper", "k", "v") == "k:v"
    assert ev("value * 2", "value_mapper", 21) == 42
    assert ev("(value, key)", "key_value_mapper", "k", "v") == ("v", "k")
    assert ev("[(w, 1) for w in value.split()]", "flat_mapper", None, "a b") == [("a", 1), ("b", 1)]
    assert ev("value.split()", "flat_value_mapper", "a b") == ["a", "b"]
    assert ev("agg + value['n']", "aggregator", "k", {"n": 2}, 40) == 42
    assert ev("max(agg, value)", "reducer", 3, 7) == 7
    assert ev('{"count": 0}', "initializer") == {"count": 0}
    assert ev('{**left, "user": right}', "joiner", {"page": "/"}, {"name": "ann"}) == {
        "page": "/", "user": {"name": "ann"}}
    assert ev("agg1 + agg2", "session_merger", "k", 1, 2) == 3
    assert ev('"out-" + key + "-" + value["r"]', "topic_chooser", "k", {"r": "eu"}) == "out-k-eu"
    assert set(EXPRESSION_KINDS) == {
        "predicate", "mapper", "value_mapper", "key_value_mapper", "flat_mapper",
        "flat_value_mapper", "aggregator", "reducer", "initializer", "joiner", "session_merger",
        "topic_chooser"}


def test_a_variable_of_another_kind_is_unknown() -> None:
    with pytest.raises(ExpressionError, match="unknown name 'agg'"):
        compile_expression("agg + 1", "predicate")
    with pytest.raises(ExpressionError, match="unknown name 'key'"):
        compile_expression("key", "value_mapper")


def test_an_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown expression kind 'guess'"):
        compile_expression("1", "guess")


def test_a_key_value_mapper_must_give_a_pair() -> None:
    mapper = compile_expression("[key, value]", "key_value_mapper")
    assert mapper(1, 2) == (1, 2)
    with pytest.raises(ExpressionRuntimeError, match=r"must give a \(key, value\) tuple, not str"):
        compile_expression("value", "key_value_mapper")(1, "x")


def test_flat_mappers_must_give_lists_not_text() -> None:
    with pytest.raises(ExpressionRuntimeError, match="must give a list of items, not str"):
        compile_expression("value.lower()", "flat_value_mapper")("Words")
    with pytest.raises(ExpressionRuntimeError, match=r"must give a \(key, value\) tuple"):
        compile_expression("[1, 2]", "flat_mapper")(None, None)


def test_a_generator_result_is_materialised_for_flat_kinds_only() -> None:
    assert ev("(w.upper() for w in value)", "flat_value_mapper", ["a", "b"]) == ["A", "B"]
    with pytest.raises(ExpressionError, match="cannot be a generator"):
        compile_expression("(w for w in value)", "value_mapper")


# --- the language ---------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "value", "expected"), [
    ("value['a']['b'][0]", {"a": {"b": [7]}}, 7),
    ("value[1:3]", "abcd", "bc"),
    ("value[::-1]", [1, 2, 3], [3, 2, 1]),
    ("value if value > 0 else -value", -5, 5),
    ("value is None or value == ''", None, True),
    ("'x' in value and 'y' not in value", "xz", True),
    ("1 < value <= 3", 3, True),
    ("not value", [], True),
    ("value // 3, value % 3, value / 4, value - 1, -value, ~value", 10, (3, 1, 2.5, 9, -10, -11)),
    ("value ** 2 + (value << 2) + (value >> 1) + (value & 3) + (value | 1) + (value ^ 1)", 5,
     25 + 20 + 2 + 1 + 5 + 4),
    ("f'{value!r}:{value:>5}|{value:.2f}'", 2.5, "2.5:  2.5|2.50"),
    ("[x * 2 for x in value if x % 2]", [1, 2, 3], [2, 6]),
    ("{x: len(x) for x in value}", ["a", "bb"], {"a": 1, "bb": 2}),
    ("{x % 2 for x in value}", [1, 2, 3], {0, 1}),
    ("[(x, y) for x in value for y in value if x < y]", [1, 2, 3], [(1, 2), (1, 3), (2, 3)]),
    ("sum(x for x in value)", [1, 2, 3], 6),
    ("any(x > 2 for x in value), all(x > 0 for x in value)", [1, 2, 3], (True, True)),
    ("sorted(value, reverse=True)", [2, 3, 1], [3, 2, 1]),
    ("sorted(value, key=len)", ["ccc", "a", "bb"], ["a", "bb", "ccc"]),
    ("min(value), max(value), len(value), abs(-value[0])", [4, 9], (4, 9, 2, 4)),
    ("round(value, 2), int(value), float('1.5'), str(value), bool(value)", 2.345, (2.35, 2, 1.5, "2.345", True)),
    ("list(value), tuple(value), set(value), dict(value)", [("a", 1)], ([("a", 1)], (("a", 1),), {("a", 1)}, {"a": 1})),
    ("list(zip(value, value)), list(enumerate(value)), list(reversed(value)), list(range(3))", "ab",
     ([("a", "a"), ("b", "b")], [(0, "a"), (1, "b")], ["b", "a"], [0, 1, 2])),
    ("floor(value), ceil(value), round(sqrt(16)), round(log(1)), exp(0)", 2.5, (2, 3, 4, 0, 1.0)),
    ("coalesce(None, value, 3)", 2, 2),
    ("value.get('missing', 'd'), list(value.keys()), list(value.values()), list(value.items())",
     {"k": 1}, ("d", ["k"], [1], [("k", 1)])),
    ("value.strip().title().replace('B', 'b').split(' ')", "  ab cd ", ["Ab", "Cd"]),
    ("', '.join(value)", ["a", "b"], "a, b"),
    ("value.startswith('a') and value.endswith('z') and value.find('m') == 1", "amz", True),
    ("value.zfill(5), value.rjust(4, '.'), value.center(5, '*')", "42", ("00042", "..42", "**42*")),
    ("value.encode().decode()", "é", "é"),
])
def test_python_expressions_mean_what_they_mean_in_python(source: str, value: Any, expected: Any) -> None:
    assert compile_expression(source, "value_mapper")(value) == expected


def test_expressions_may_span_lines_and_carry_comments() -> None:
    source = "(value['a']  # the first\n + value['b'])"
    assert ev(source, "value_mapper", {"a": 1, "b": 2}) == 3
    assert ev("value['a']\n+ 1", "value_mapper", {"a": 1}) == 2


# --- registry functions -----------------------------------------------------------------------

def test_regex_helpers() -> None:
    assert ev(r're_match(r"(\d+)-(\d+)", value)', "value_mapper", "12-34 rest") == ["12-34", "12", "34"]
    assert ev(r're_match(r"\d+", value)', "value_mapper", "x12") is None
    assert ev(r're_search(r"\d+", value)', "value_mapper", "x12") == ["12"]
    assert ev(r're_findall(r"\d+", value)', "value_mapper", "a1b22c333") == ["1", "22", "333"]
    assert ev(r're_sub(r"(\w+)@", r"<\1>@", value)', "value_mapper", "ann@x bob@y") == "<ann>@x <bob>@y"
    assert ev(r're_sub(r"\s+", " ", value, count=1)', "value_mapper", "a  b  c") == "a b  c"
    assert ev(r're_split(r",\s*", value, maxsplit=1)', "value_mapper", "a, b, c") == ["a", "b, c"]


def test_regex_patterns_are_checked_when_compiling() -> None:
    with pytest.raises(ExpressionError, match="invalid regular expression") as info:
        compile_expression('re_match("(unclosed", value)', "value_mapper")
    assert (info.value.line, info.value.col) == (1, 10)
    with pytest.raises(ExpressionError, match="needs its pattern as a literal string"):
        compile_expression("re_match(value, value)", "value_mapper")
    with pytest.raises(ExpressionError, match="longer than 256"):
        compile_expression(f're_match("{"a" * 300}", value)', "value_mapper")


def test_regex_helpers_want_text() -> None:
    with pytest.raises(ExpressionRuntimeError, match=r"re_split\(\) expects text \(a str\), not int"):
        ev(r're_split(r"\W+", value)', "value_mapper", 42)


def test_json_get_follows_dotted_paths() -> None:
    record = {"user": {"address": [{"city": "Oslo"}]}, "n": 0}
    assert ev("json_get(value, 'user.address.0.city')", "value_mapper", record) == "Oslo"
    assert ev("json_get(value, 'user.address.-1.city')", "value_mapper", record) == "Oslo"
    assert ev("json_get(value, 'user.phone', 'none')", "value_mapper", record) == "none"
    assert ev("json_get(value, 'user.address.5.city')", "value_mapper", record) is None
    assert ev("json_get(value, 'n.deeper')", "value_mapper", record) is None
    assert ev("json_get(value, 'n')", "value_mapper", record) == 0


def test_json_text_helpers() -> None:
    assert ev("to_json(value)", "value_mapper", {"a": [1, "é"]}) == '{"a":[1,"é"]}'
    assert ev("from_json(value)['a']", "value_mapper", '{"a": 2}') == 2


def test_date_helpers_work_in_utc_milliseconds() -> None:
    ms = 1_700_000_000_123  # 2023-11-14T22:13:20.123Z
    assert ev("to_iso(value)", "value_mapper", ms) == "2023-11-14T22:13:20.123Z"
    assert ev("from_iso(value)", "value_mapper", "2023-11-14T22:13:20.123Z") == ms
    assert ev("from_iso(value)", "value_mapper", "2023-11-14T23:13:20.123+01:00") == ms
    assert ev("format_ts(value, '%Y-%m-%d %H:%M')", "value_mapper", ms) == "2023-11-14 22:13"
    assert ev("parse_ts(value, '%Y-%m-%d')", "value_mapper", "2023-11-14") == 1_699_920_000_000
    assert ev("ts_floor(value, 60000)", "value_mapper", ms) == 1_699_999_980_000
    assert ev("[date_part(value, p) for p in ['year', 'month', 'day', 'hour', 'weekday']]",
              "value_mapper", ms) == [2023, 11, 14, 22, 2]
    with pytest.raises(ExpressionRuntimeError, match="date_part"):
        ev("date_part(value, 'fortnight')", "value_mapper", ms)


def test_the_function_reference_lists_every_function() -> None:
    names = {f["name"] for f in function_reference()}
    assert {"len", "re_split", "json_get", "to_iso", "sorted", "coalesce"} <= names
    assert all(f["signature"] and f["description"] for f in function_reference())


# --- errors ---------------------------------------------------------------------------------

def test_runtime_errors_are_typed_and_name_the_expression() -> None:
    predicate = compile_expression('value["amount"] > 100', "predicate")
    with pytest.raises(ExpressionRuntimeError) as info:
        predicate("k", {"price": 3})
    assert str(info.value) == "KeyError: 'amount' in expression 'value[\"amount\"] > 100'"
    assert info.value.expression == 'value["amount"] > 100'
    assert isinstance(info.value.__cause__, KeyError)
    with pytest.raises(ExpressionRuntimeError, match="ZeroDivisionError"):
        ev("1 / value", "value_mapper", 0)
    with pytest.raises(ExpressionRuntimeError, match="TypeError"):
        ev("value + 1", "value_mapper", "a")


def test_compile_errors_carry_line_and_column() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression("value['a'] +\n  bogus", "value_mapper")
    assert (info.value.line, info.value.col) == (2, 3)
    assert info.value.message.startswith("unknown name 'bogus'")
    with pytest.raises(ExpressionError) as info:
        compile_expression("value[", "value_mapper")
    assert info.value.message.startswith("invalid syntax")
    assert info.value.line == 1
    with pytest.raises(ExpressionError) as info:
        compile_expression("\n   value + nope", "value_mapper")
    assert (info.value.line, info.value.col) == (2, 12)
    assert compile_expression("  value + 1", "value_mapper")(1) == 2


def test_columns_count_characters_not_bytes() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression("'ééé' + nope", "value_mapper")
    assert info.value.col == 9


def test_empty_and_non_text_expressions_are_rejected() -> None:
    with pytest.raises(ExpressionError, match="empty"):
        compile_expression("   ", "predicate")
    with pytest.raises(ExpressionError, match="must be text"):
        compile_expression(42, "predicate")  # type: ignore[arg-type]


def test_records_are_not_mutated() -> None:
    with pytest.raises(ExpressionError, match="'.pop' is not an allowed"):
        compile_expression("value.pop('a')", "value_mapper")
    with pytest.raises(ExpressionError, match="'.append' is not an allowed"):
        compile_expression("value.append(1)", "value_mapper")


def test_a_method_of_one_type_is_not_allowed_on_another() -> None:
    # .get is a dict method; on a str it must fail at run time, not reach str's attributes.
    with pytest.raises(ExpressionLimitError, match="str has no allowed method 'get'"):
        ev("value.get('x')", "value_mapper", "text")


def test_compiled_expressions_are_cached() -> None:
    assert compile_expression("value", "value_mapper") is compile_expression("value", "value_mapper")


# --- windowed keys --------------------------------------------------------------------------

def _windowed(key: str, start: int, end: int) -> Any:
    """runtime's Windowed when the engine has it, else a stand-in living in runtime's namespace."""
    import runtime

    if hasattr(runtime, "Windowed") and hasattr(runtime, "TimeWindow"):
        return runtime.Windowed(key, runtime.TimeWindow(start, end))

    class Window:
        def __init__(self) -> None:
            self.start, self.end = start, end

    class Windowed:
        def __init__(self) -> None:
            self.key, self.window = key, Window()

    Window.__module__ = Windowed.__module__ = "runtime.dsl.windowed"
    return Windowed()


def test_windowed_keys_expose_key_and_window_bounds() -> None:
    mapper = compile_expression("(key.key, [key.window.start, key.window.end])", "key_value_mapper")
    assert mapper(_windowed("ACME", 5000, 10000), 3) == ("ACME", [5000, 10000])


def test_data_attributes_are_readable_only_on_runtime_values() -> None:
    class Impostor:
        key = "secret"

    with pytest.raises(ExpressionLimitError, match="Impostor has no readable attribute 'key'"):
        compile_expression("value.key", "value_mapper")(Impostor())
