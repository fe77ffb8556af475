"""Expression patterns use Python's re syntax and mean what re says they mean, though the
regex package runs them: its own syntax (fuzzy constraints, POSIX classes) never applies.
The oracle is Python's re itself."""

from __future__ import annotations

import re
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.spec.expressions.patterns import PatternError, compile_pattern


def re_fullmatch(pattern: str, text: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)   # re's "possible nested set"
        return re.fullmatch(pattern, text) is not None


def ours(pattern: str, text: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        compiled = compile_pattern(pattern)
    return compiled.fullmatch(text) is not None


@pytest.mark.parametrize(("pattern", "matches", "does_not_match"), [
    # regex alone would read these braces as fuzzy matching: "kafkz" within 2 errors
    ("kafka{e<=2}", ["kafka{e<=2}"], ["kafkz", "kafka"]),
    ("a{i<=1,d<=1}b", ["a{i<=1,d<=1}b"], ["ab", "axb"]),
    ("(?:ab){1<=e<=2}", ["ab{1<=e<=2}"], ["ax", "abab"]),
    # regex alone would read "[:alpha:]" as a POSIX class; re reads the set [[:alph] then "]"
    ("[[:alpha:]]+", ["a]", ":]]"], ["abc", "z"]),
    ("[[:digit:]]", ["t]"], ["5", "5]"]),
    # literal braces re's way, counted repeats unchanged
    ("x{}", ["x{}"], ["x"]),
    ("a{,2}", ["", "a", "aa"], ["aaa", "a{,2}"]),
    ("a{2,}", ["aa", "aaa"], ["a"]),
    ("a{2}", ["aa"], ["a", "a{2}"]),
    ("a{2", ["a{2"], ["aa"]),
    ("(?x) a{ 2 }", ["a{2}"], ["aa"]),
    (r"\{e<=1\}", ["{e<=1}"], ["e"]),
    ("[]{e<=1}]+", ["{e<=1}]", "]"], ["x"]),
    ("[^]]{2}", ["ab"], ["]]", "a"]),
    # escapes, comments and verbose comments are read as re reads them
    (r"\N{LATIN SMALL LETTER A}{2}", ["aa"], ["a"]),
    ("(?#[ not a set)b{2}", ["bb"], ["b"]),
    (r"(?#a\)[)c{2}", ["cc"], ["c"]),
    ("(?x) a  # [ not a set\n [bc]{2}", ["abc", "acb"], ["a[bc]"]),
])
def test_a_pattern_matches_what_re_matches(pattern: str, matches: list[str], does_not_match: list[str]) -> None:
    for text in matches:
        assert re_fullmatch(pattern, text), f"the case is wrong: re does not match {text!r} with {pattern!r}"
        assert ours(pattern, text), f"{pattern!r} should match {text!r}, as in re"
    for text in does_not_match:
        assert not re_fullmatch(pattern, text), f"the case is wrong: re matches {text!r} with {pattern!r}"
        assert not ours(pattern, text), f"{pattern!r} should not match {text!r}, as in re"


def test_the_verbose_flag_for_part_of_a_pattern_is_refused() -> None:
    with pytest.raises(PatternError, match=r"verbose flag \(x\) may only be set for the whole pattern"):
        compile_pattern("a(?x: b # [ c\n ){2}")
    with pytest.raises(PatternError, match="verbose flag"):
        compile_pattern("(?x)a(?-x: b)")
    assert ours("(?x) a b # c", "ab")


PATTERN_CHARS = "ab{}e<=12,[]:^-|()*?+x#\\\n "
TEXT_CHARS = "ab{}e<=12,[]:-x# "


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(verbose=st.booleans(), body=st.text(PATTERN_CHARS, max_size=14),
       texts=st.lists(st.text(TEXT_CHARS, max_size=8), min_size=1, max_size=6))
def test_random_patterns_match_as_re_matches(verbose: bool, body: str, texts: list[str]) -> None:
    pattern = ("(?x)" if verbose else "") + body
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            re.compile(pattern)
            compile_pattern(pattern)
    except (re.error, PatternError):
        return
    for text in [*texts, body]:
        assert ours(pattern, text) == re_fullmatch(pattern, text), (pattern, text)
