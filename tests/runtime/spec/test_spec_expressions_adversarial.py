"""Adversarial inputs: every one is rejected at compile time or stopped with a typed error, fast.

Escapes must never reach an object's internals; bombs must never take the memory or
the time they ask for. A compile-time rejection is an ExpressionError; a run-time
stop is an ExpressionRuntimeError (ExpressionLimitError when a sandbox limit did it).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.spec import (
    ExpressionError,
    ExpressionLimitError,
    ExpressionRuntimeError,
    compile_expression,
)
from runtime.spec.expressions import EXPRESSION_KINDS

# Wall time allowed for one rejection or stop. The sandbox stops evaluations at 40 ms,
# and a bomb that really ran would take minutes or exhaust memory; the bound only has to
# tell those apart, so it leaves room for a loaded 2-core CI machine (0.25 s flaked there:
# parsing 3,990 unary minus signs took 0.28 s).
FAST = 2.0

# --- rejected when compiled: (source, part of the message) ---------------------------------

ESCAPES = [
    ("().__class__.__bases__[0].__subclasses__()", "names starting with '_'"),
    ("'{0.__class__}'.format(value)", "'.format' is not an allowed attribute or method; use an f-string"),
    ("'{0.__init__.__globals__}'.format_map(value)", "'.format_map' is not an allowed"),
    ("(x for x in value).gi_frame.f_globals", "is not an allowed attribute"),
    ("(x for x in value).gi_frame", "'.gi_frame' is not an allowed"),
    ("(x for x in value).gi_code", "'.gi_code' is not an allowed"),
    ("value.cr_frame", "'.cr_frame' is not an allowed"),
    ("value.f_back", "'.f_back' is not an allowed"),
    ("value.tb_frame", "'.tb_frame' is not an allowed"),
    ("__builtins__", "names starting with '_'"),
    ("__builtins__['eval']('1')", "only functions and methods can be called"),
    ("getattr(value, '__class__')", "unknown name 'getattr'"),
    ("setattr(value, 'x', 1)", "unknown name 'setattr'"),
    ("vars()", "unknown name 'vars'"),
    ("globals()", "unknown name 'globals'"),
    ("locals()", "unknown name 'locals'"),
    ("dir(value)", "unknown name 'dir'"),
    ("eval('1 + 1')", "unknown name 'eval'"),
    ("exec('import os')", "unknown name 'exec'"),
    ("compile('1', 's', 'eval')", "unknown name 'compile'"),
    ("open('/etc/passwd').read()", "unknown name 'open'"),
    ("__import__('os').system('true')", "names starting with '_'"),
    ("type(value)", "unknown name 'type'"),
    ("object()", "unknown name 'object'"),
    ("print(value)", "unknown name 'print'"),
    ("breakpoint()", "unknown name 'breakpoint'"),
    ("value.__class__", "names starting with '_'"),
    ("value.__dict__", "names starting with '_'"),
    ("len.__self__", "names starting with '_'"),
    ("value.get.__self__", "the method '.get' must be called"),
    ("(1).__class__.__mro__", "names starting with '_'"),
    ("value.mro()", "'.mro' is not an allowed"),
    ("int.from_bytes(value, 'big')", "'.from_bytes' is not an allowed"),
    ("str.join(' ', value)", "str() can only be called"),
    ("sorted.__call__(value)", "sorted() can only be called, not passed as a value"),
    ("_b", "names starting with '_'"),
    ("_add(None, 1, 2)", "names starting with '_'"),
    ("_attr(value, 'key')", "names starting with '_'"),
    ("[_x for _x in value]", "names starting with '_'"),
    ("sorted(value, key=str)", "str() can only be called, not passed as a value"),
    ("value(1)", "'value' is a variable, not a function"),
    ("[len][0](value)", "only functions and methods can be called"),
    ("lambda: 1", "lambda functions are not allowed"),
    ("(lambda: 0).__code__", "lambda functions are not allowed"),
    ("(f := 1)", "assignments (:=) are not allowed"),
    ("[*value]", "unpacking with * is not allowed"),
    ("len(*value)", "unpacking with * is not allowed"),
    ("dict(**value)", "unpacking with ** is not allowed in calls"),
    ("await value", "await is not allowed"),
    ("[x async for x in value]", "async comprehensions are not allowed"),
    ("f'{value.__class__}'", "names starting with '_'"),
    ("f'{value:{key}}'", "format specifications must be fixed text"),
    ("f'{1:>999999999}'", "format specification '>999999999' is not allowed"),
    ("'%s' % value", "%-formatting of strings is not allowed"),
    ("'%999999999d' % 1", "%-formatting of strings is not allowed"),
    ("1j", "complex literals are not allowed"),
    ("...", "ellipsis literals are not allowed"),
    ("value @ value", "the operator MatMult is not allowed"),
    ("re_match(value, 'x')", "needs its pattern as a literal string"),
    ("re_split('(' * 300, value)", "needs its pattern as a literal string"),
    (f"re_sub('{'a' * 300}', '', value)", "the pattern is longer than 256 characters"),
    ("re_match('(?P<a>x)(?P=a', value)", "invalid regular expression"),
    ("re_match('a{4294967294}', value)", "the pattern repeats too much"),
    ("re_match('((a{100}){100}){100}', value)", "the pattern repeats too much"),
    ("re_split('(?:x{65535}){65535}', value)", "the pattern repeats too much"),
    ("re_search('a{2147483648}', value)", "the pattern repeats too much"),
    ("re_search('(?:a|b{5000}){5000}', value)", "the pattern repeats too much"),
    ("re_search('a{99999999999}', value)", "invalid regular expression"),
    ("[x for x in value for y in value for z in value for w in value]", "at most 3 'for' clauses"),
    ("[[[[1 for a in value] for b in value] for c in value] for d in value]", "at most 3 'for' clauses"),
    ("x" * 1_000_000, "the limit is 4,000"),
    ("(" * 10_000 + "1" + ")" * 10_000, "the limit is 4,000"),
    ("-" * 3990 + "1", "nested too deeply"),
    ("not " * 900 + "value", "nested too deeply"),
    ("[" * 150 + "]" * 150, "nested too deeply"),
    ("(" * 250 + "1" + ")" * 250, "too many nested parentheses"),
    ("1" + " + 1" * 990, "nested too deeply"),
    ("value\x00", "null bytes"),
    ("import os", "invalid syntax"),
    ("value; value", "invalid syntax"),
]


@pytest.mark.parametrize(("source", "message"), ESCAPES, ids=lambda s: str(s)[:40])
def test_it_is_rejected_at_compile_time(source: str, message: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ExpressionError) as info:
        compile_expression(source, "mapper")
    assert message in info.value.message
    assert time.perf_counter() - started < FAST


# --- compiled, then stopped at run time: (source, value, error type) ------------------------

BOMBS = [
    ("9**9**9", None, ExpressionLimitError),
    ("10**10**10", None, ExpressionLimitError),
    ("2**(2**100)", None, ExpressionLimitError),
    ("(-3)**10**8", None, ExpressionLimitError),
    ("'a'*10**10", None, ExpressionLimitError),
    ("10**10*'a'", None, ExpressionLimitError),
    ("[0]*10**9", None, ExpressionLimitError),
    ("value*10**9", "abc", ExpressionLimitError),
    ("[value]*10**6*10**6", 1, ExpressionLimitError),
    ("1<<10**9", None, ExpressionLimitError),
    ("(1<<8000)*(1<<8000)", None, ExpressionLimitError),
    ("'a'*999999 + 'b'*999999", None, ExpressionLimitError),
    ("'a'.ljust(10**9)", None, ExpressionLimitError),
    ("value.zfill(10**10)", "1", ExpressionLimitError),
    ("value.center(10**8, '*')", "1", ExpressionLimitError),
    ("('a'*1000).replace('a', 'a'*10000)", None, ExpressionLimitError),
    ("('a'*100000).replace('', 'xxxxxxxxxxxxxxxxxxxx')", None, ExpressionLimitError),
    ("','.join(['a'*1000]*2000)", None, ExpressionLimitError),
    ("[s*1000000 for s in 'a'*100000]", None, ExpressionLimitError),
    ("[value[1:] for x in range(10**6)]", "b" * 100_000, ExpressionLimitError),
    ("[f'{value}{value}' for x in range(10**6)]", "c" * 100_000, ExpressionLimitError),
    ("[{**value} for x in range(10**6)]", {str(i): i for i in range(1000)}, ExpressionLimitError),
    ("len(str([0]*10**6) * 100)", None, ExpressionLimitError),
    ("[[x for x in range(10**5)] for y in range(10**5)]", None, ExpressionLimitError),
    ("sum(x*y for x in range(10**6) for y in range(10**6))", None, ExpressionLimitError),
    ("max(x for x in range(10**6) for y in range(10**6))", None, ExpressionLimitError),
    ("any(x < 0 for x in range(10**6) for y in range(10**6) for z in range(10**6))", None, ExpressionLimitError),
    ("sum(range(10**12))", None, ExpressionLimitError),
    ("len(range(10**30))", None, ExpressionLimitError),
    ("sorted(range(10**9))", None, ExpressionLimitError),
    ("list(range(10**9))", None, ExpressionLimitError),
    ("set(x for x in range(10**9))", None, ExpressionLimitError),
    ("round(10**100, -10**9)", None, ExpressionLimitError),
    ("str(10**5000)", None, ExpressionLimitError),
    ("re_match('(a|aa)+$', 'a'*40 + 'b')", None, ExpressionLimitError),
    ("re_search('(x+x+)+y', 'x'*5000)", None, ExpressionLimitError),
    ("re_sub('', 'x'*1000, 'a'*10000)", None, ExpressionLimitError),
    ("re_sub('(a)', r'\\1\\1\\1\\1\\1\\1\\1\\1', 'a'*200000)", None, ExpressionLimitError),
    ("[re_match('(a|aa)+$', value) for x in range(100)]", "a" * 30 + "b", ExpressionLimitError),
    ("value.get('x')", "not a dict", ExpressionLimitError),
    ("value.key", "a str has no data attributes", ExpressionLimitError),
    ("sum([[0]*1000]*1000, [])", None, ExpressionRuntimeError),
    ("from_json('[' * 100000 + ']' * 100000)", None, ExpressionRuntimeError),
    ("int('9' * 100000)", None, ExpressionRuntimeError),
    ("format_ts(0, '%999999999Y')", None, ExpressionRuntimeError),
    ("parse_ts(value, '%' * 65)", "x", ExpressionRuntimeError),
    ("2.0 ** 10**100", None, ExpressionRuntimeError),
    ("exp(10**6)", None, ExpressionRuntimeError),
]


@pytest.mark.parametrize(("source", "value", "error"), BOMBS, ids=lambda s: str(s)[:40])
def test_it_is_stopped_with_a_typed_error_fast(source: str, value: Any, error: type[Exception]) -> None:
    function = compile_expression(source, "value_mapper")
    started = time.perf_counter()
    with pytest.raises(error) as info:
        function(value)
    elapsed = time.perf_counter() - started
    assert info.value.expression == source  # type: ignore[attr-defined]
    assert elapsed < FAST, f"stopped only after {elapsed * 1000:.0f} ms"


def test_the_suite_is_large_enough() -> None:
    assert len(ESCAPES) + len(BOMBS) >= 100


def test_compiled_code_sees_no_builtins() -> None:
    function = compile_expression("len(value)", "value_mapper")
    namespace = function.__globals__
    assert namespace["__builtins__"] == {}
    for name in ("eval", "exec", "open", "getattr", "__import__", "type", "object"):
        assert name not in namespace


def test_constant_bombs_are_not_folded_at_compile_time() -> None:
    # CPython folds constant expressions while compiling; the guards must prevent it.
    started = time.perf_counter()
    for source in ("9**9**9", "'a' * 10**10", "1 << 10**9", "(10**1000) ** 1000"):
        compile_expression(source, "value_mapper")
    assert time.perf_counter() - started < FAST


def test_a_generator_does_not_leak_its_frame_through_a_result() -> None:
    escape = compile_expression("[g for g in [(x for x in value)]][0]", "value_mapper")
    generator = escape([1])
    # Even holding the generator, an expression cannot read its attributes.
    for source in ("value.gi_frame", "value.gi_code"):
        with pytest.raises(ExpressionError):
            compile_expression(source, "value_mapper")
    with pytest.raises(ExpressionLimitError, match="no readable attribute 'key'"):
        compile_expression("value.key", "value_mapper")(generator)


# --- fuzzing: random token soup never crashes the compiler nor escapes -----------------------

_TOKENS = st.sampled_from([
    "key", "value", "agg", "left", "x", "len", "str", "re_split", "sorted", "__class__", "_b",
    "__builtins__", "gi_frame", "format", "lower", "get", "join", "(", ")", "[", "]", "{", "}",
    ",", ":", ".", "+", "*", "**", "<<", "%", "-", "not", "and", "or", "if", "else", "for", "in",
    "lambda", "1", "0", "9", "'a'", "r'\\W+'", "f'{x}'", "None", "True", "==", "<", "=", ":=",
    "*", "...", "\n", " ",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tokens=st.lists(_TOKENS, max_size=25), kind=st.sampled_from(sorted(EXPRESSION_KINDS)))
def test_random_token_soup_is_rejected_or_runs_inside_the_sandbox(tokens: list[str], kind: str) -> None:
    source = " ".join(tokens)
    try:
        function = compile_expression(source, kind)
    except ExpressionError:
        return
    args = [{"a": 1}] * len(EXPRESSION_KINDS[kind].variables)
    try:
        function(*args)
    except ExpressionRuntimeError:
        pass
