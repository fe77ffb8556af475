"""Turn a checked tree into a guarded one, and that into one Python function.

The rewrite replaces operators and calls that could explode or reach outside the
sandbox by calls to the guards (names starting with "_", which expressions cannot
write). The result is compiled once into an ordinary function whose globals hold
only the function registry and the guards, with empty ``__builtins__``.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable
from typing import Any

from runtime.spec.expressions.functions import FUNCTIONS
from runtime.spec.expressions.kinds import ExpressionKind

__all__ = ["build_function"]

_BUDGET = "_b"
_GUARDED_OPS: dict[type, str] = {
    ast.Add: "_add",
    ast.Mult: "_mul",
    ast.Pow: "_pow",
    ast.LShift: "_lshift",
    ast.Mod: "_mod",
}
_RESULT_GUARDS = {"pair": ("_as_pair", False), "pairs": ("_as_pairs", True), "iterable": ("_as_list", True)}


def _load(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Load())


class _Guarding(ast.NodeTransformer):
    def __init__(self) -> None:
        self.uses_budget = False

    def budget(self) -> ast.Name:
        self.uses_budget = True
        return _load(_BUDGET)

    def call(self, guard: str, args: list[ast.expr], like: ast.AST,
             keywords: list[ast.keyword] | None = None) -> ast.Call:
        return ast.copy_location(ast.Call(func=_load(guard), args=args, keywords=keywords or []), like)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        guard = _GUARDED_OPS.get(type(node.op))
        if guard is None:
            return node
        return self.call(guard, [self.budget(), node.left, node.right], node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.slice, ast.Slice):
            return node
        s = node.slice
        none = ast.Constant(value=None)
        return self.call("_slice", [self.budget(), node.value, s.lower or none, s.upper or none, s.step or none], node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        # Only reached for attribute reads; method calls are handled in visit_Call.
        self.generic_visit(node)
        return self.call("_attr", [node.value, ast.Constant(value=node.attr)], node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        args = [self.visit(a) for a in node.args]
        keywords = [ast.keyword(arg=k.arg, value=self.visit(k.value)) for k in node.keywords]
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = self.visit(func.value)
            return self.call("_method", [self.budget(), receiver, ast.Constant(value=func.attr), *args], node, keywords)
        assert isinstance(func, ast.Name)  # the checker allows nothing else
        builtin = FUNCTIONS.get(func.id)  # None for a user-defined function, never budgeted
        if builtin is not None and builtin.budgeted:
            args.insert(0, self.budget())
        return ast.copy_location(ast.Call(func=func, args=args, keywords=keywords), node)

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.iter = self.call("_iter", [self.budget(), node.iter], node.iter)
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node.value = self.visit(node.value)  # the format spec is fixed text; leave it be
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        self.generic_visit(node)
        return self.call("_charge", [self.budget(), node], node)

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        self.generic_visit(node)
        if any(key is None for key in node.keys):
            return self.call("_charge", [self.budget(), node], node)
        return node


def build_function(
    tree: ast.Expression,
    kind: ExpressionKind,
    namespace: dict[str, Any],
) -> Callable[..., Any]:
    """Compile the checked ``tree`` into a function of the kind's variables.

    ``namespace`` becomes the function's globals; it must hold the registry, the
    guards, ``_Exception`` and ``_wrap`` (turns any exception into an
    ExpressionRuntimeError naming the expression).
    """
    guarding = _Guarding()
    result: ast.expr = guarding.visit(tree.body)
    if kind.result in _RESULT_GUARDS:
        guard, budgeted = _RESULT_GUARDS[kind.result]
        args = [guarding.budget(), result] if budgeted else [result]
        result = guarding.call(guard, args, result)

    body: list[ast.stmt] = []
    if guarding.uses_budget:
        body.append(ast.Assign(
            targets=[ast.Name(id=_BUDGET, ctx=ast.Store())],
            value=ast.Call(func=_load("_Budget"), args=[], keywords=[]),
        ))
    body.append(ast.Try(
        body=[ast.Return(value=result)],
        handlers=[ast.ExceptHandler(
            type=_load("_Exception"),
            name="_exc",
            body=[ast.Raise(exc=ast.Call(func=_load("_wrap"), args=[_load("_exc")], keywords=[]),
                            cause=_load("_exc"))],
        )],
        orelse=[],
        finalbody=[],
    ))
    function = ast.FunctionDef(
        name="_expression",
        args=ast.arguments(
            posonlyargs=[], args=[ast.arg(arg=v) for v in kind.variables], vararg=None,
            kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[],
        ),
        body=body,
        decorator_list=[],
        returns=None,
    )
    module = ast.fix_missing_locations(ast.Module(body=[function], type_ignores=[]))
    with warnings.catch_warnings():
        # CPython's "is with a literal" hints are not errors; they must not reach logs
        # or be turned into exceptions by a strict warnings filter.
        warnings.simplefilter("ignore")
        code = compile(module, "<expression>", "exec")
    exec(code, namespace)  # noqa: S102  # nosec B102  # defines the function: checked, guarded tree, no builtins
    compiled: Callable[..., Any] = namespace["_expression"]
    return compiled
