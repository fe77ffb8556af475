"""The allow-list checker: the only gate between user text and compiled code.

Everything not listed here is rejected: node kinds, names, attribute names, call
targets. The checker works on the tree that ``ast.parse`` returns and never runs it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

import re

from runtime.spec.expressions.errors import ExpressionError
from runtime.spec.expressions.functions import FUNCTIONS
from runtime.spec.expressions.guards import ALLOWED_ATTRIBUTES, DATA_ATTRIBUTES
from runtime.spec.expressions.limits import MAX_AST_DEPTH, MAX_AST_NODES, MAX_GENERATORS
from runtime.spec.expressions.patterns import PatternError, compile_pattern
from runtime.spec.udf import UdfError, find_function

__all__ = ["check_expression"]

_BIN_OPS = (
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
    ast.LShift, ast.RShift, ast.BitOr, ast.BitXor, ast.BitAnd,
)
_CONSTANT_TYPES = (str, bytes, int, float, bool, type(None))
_FORMAT_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?[0-9]{0,3}[,_]?(?:\.[0-9]{1,3})?[bcdeEfFgGnosxX%]?")

# Friendly names for what an expression may not contain.
_FORBIDDEN = {
    ast.Lambda: "lambda functions are not allowed",
    ast.NamedExpr: "assignments (:=) are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Starred: "unpacking with * is not allowed",
}


def _location(source: str, node: ast.AST) -> tuple[int | None, int | None]:
    line = getattr(node, "lineno", None)
    offset = getattr(node, "col_offset", None)
    if line is None or offset is None:
        return None, None
    # ast offsets count UTF-8 bytes; editors count characters.
    lines = source.splitlines() or [""]
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return line, len(text.encode("utf-8")[:offset].decode("utf-8", errors="replace")) + 1


def check_shape(source: str, tree: ast.AST) -> None:
    """Reject trees that are too deep or too large, without recursing."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_AST_DEPTH:
            raise ExpressionError(
                f"the expression is nested too deeply (more than {MAX_AST_DEPTH} levels)",
                *_location(source, node),
            )
        if count > MAX_AST_NODES:
            raise ExpressionError(f"the expression is too large (more than {MAX_AST_NODES} parts)")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


class _Checker:
    def __init__(self, source: str, variables: Iterable[str]) -> None:
        self.source = source
        self.variables = frozenset(variables)
        self.scopes: list[set[str]] = []
        self.generators = 0

    def fail(self, message: str, node: ast.AST) -> ExpressionError:
        return ExpressionError(message, *_location(self.source, node))

    def visit(self, node: ast.AST) -> None:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            raise self.fail(
                _FORBIDDEN.get(type(node), f"{type(node).__name__} is not allowed in expressions"),
                node,
            )
        method(node)

    def visit_all(self, nodes: Iterable[ast.AST | None]) -> None:
        for node in nodes:
            if node is not None:
                self.visit(node)

    # --- names ------------------------------------------------------------------------

    def _is_variable(self, name: str) -> bool:
        return name in self.variables or any(name in scope for scope in self.scopes)

    def _check_identifier(self, name: str, node: ast.AST) -> None:
        if name.startswith("_"):
            raise self.fail(f"names starting with '_' are not allowed ({name!r})", node)

    def visit_Name(self, node: ast.Name, *, called: bool = False) -> None:
        self._check_identifier(node.id, node)
        if not isinstance(node.ctx, ast.Load):
            raise self.fail("assignments are not allowed", node)
        if self._is_variable(node.id):
            if called:
                raise self.fail(f"{node.id!r} is a variable, not a function", node)
            return
        function = FUNCTIONS.get(node.id)
        if function is None and self._user_function(node.id, node):
            return  # installed by an administrator: trusted, called as written
        if function is None:
            known = ", ".join(sorted(self.variables)) or "no variables"
            raise self.fail(
                f"unknown name {node.id!r} (this expression sees {known} and the listed functions)",
                node,
            )
        if function.budgeted and not called:
            raise self.fail(f"{node.id}() can only be called, not passed as a value", node)

    def _user_function(self, name: str, node: ast.AST, *, strict: bool = True) -> bool:
        """Whether ``name`` is a registered function; a broken entry point of that name
        is reported (strict) or taken as no function (a loop variable may use the name)."""
        try:
            return find_function(name) is not None
        except UdfError as exc:
            if not strict:
                return False
            raise self.fail(str(exc), node) from None

    def _bind(self, target: ast.AST, scope: set[str]) -> None:
        if isinstance(target, ast.Name):
            self._check_identifier(target.id, target)
            if target.id in FUNCTIONS or self._user_function(target.id, target, strict=False):
                raise self.fail(f"{target.id!r} is a function name; choose another loop variable", target)
            scope.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind(element, scope)
        else:
            raise self.fail("a loop variable must be a name or a tuple of names", target)

    # --- literals -----------------------------------------------------------------------

    def visit_Constant(self, node: ast.Constant) -> None:
        if not isinstance(node.value, _CONSTANT_TYPES):
            raise self.fail(f"{type(node.value).__name__} literals are not allowed", node)

    def visit_List(self, node: ast.List) -> None:
        self.visit_all(node.elts)

    visit_Tuple = visit_List
    visit_Set = visit_List

    def visit_Dict(self, node: ast.Dict) -> None:
        self.visit_all(node.keys)  # a None key is **mapping unpacking, charged at run time
        self.visit_all(node.values)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self.visit_all(node.values)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        self.visit(node.value)
        spec = node.format_spec
        if spec is None:
            return
        parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
        if not all(isinstance(p, ast.Constant) and isinstance(p.value, str) for p in parts):
            raise self.fail("format specifications must be fixed text", spec)
        text = "".join(p.value for p in parts)  # type: ignore[attr-defined]
        if not _FORMAT_SPEC.fullmatch(text):
            raise self.fail(f"format specification {text!r} is not allowed (widths up to 999)", spec)

    # --- operators ----------------------------------------------------------------------

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        self.visit_all(node.values)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if not isinstance(node.op, _BIN_OPS):
            raise self.fail(f"the operator {type(node.op).__name__} is not allowed", node)
        if isinstance(node.op, ast.Mod) and isinstance(node.left, (ast.Constant, ast.JoinedStr)) \
                and isinstance(getattr(node.left, "value", ""), (str, bytes)):
            raise self.fail("%-formatting of strings is not allowed; use an f-string", node)
        self.visit(node.left)
        self.visit(node.right)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        self.visit(node.operand)

    def visit_Compare(self, node: ast.Compare) -> None:
        self.visit(node.left)
        self.visit_all(node.comparators)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.visit_all((node.test, node.body, node.orelse))

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if not isinstance(node.ctx, ast.Load):
            raise self.fail("assignments are not allowed", node)
        self.visit(node.value)
        self.visit(node.slice)

    def visit_Slice(self, node: ast.Slice) -> None:
        self.visit_all((node.lower, node.upper, node.step))

    # --- attributes and calls -----------------------------------------------------------

    def _check_attribute(self, node: ast.Attribute) -> None:
        self._check_identifier(node.attr, node)
        if node.attr not in ALLOWED_ATTRIBUTES:
            hint = "; use an f-string" if node.attr in ("format", "format_map") else ""
            raise self.fail(f"'.{node.attr}' is not an allowed attribute or method{hint}", node)
        if not isinstance(node.ctx, ast.Load):
            raise self.fail("assignments are not allowed", node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.visit(node.value)  # report problems in source order, left to right
        self._check_attribute(node)
        if node.attr not in DATA_ATTRIBUTES:
            raise self.fail(f"the method '.{node.attr}' must be called: .{node.attr}(...)", node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            self.visit_Name(func, called=True)
            function = FUNCTIONS.get(func.id)  # None for a user-defined function
            if function is not None and function.pattern_arg is not None:
                self._check_pattern(func.id, node, function.pattern_arg)
        elif isinstance(func, ast.Attribute):
            self.visit(func.value)
            self._check_attribute(func)
        else:
            raise self.fail("only functions and methods can be called", node)
        for keyword in node.keywords:
            if keyword.arg is None:
                raise self.fail("unpacking with ** is not allowed in calls", keyword.value)
            self._check_identifier(keyword.arg, keyword.value)
        self.visit_all(node.args)
        self.visit_all(k.value for k in node.keywords)

    def _check_pattern(self, name: str, call: ast.Call, index: int) -> None:
        arg = call.args[index] if len(call.args) > index else None
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            raise self.fail(f"{name}() needs its pattern as a literal string, e.g. {name}(r\"\\W+\", ...)", arg or call)
        try:
            compile_pattern(arg.value)
        except PatternError as exc:
            raise self.fail(str(exc), arg) from None

    # --- comprehensions -----------------------------------------------------------------

    def _comprehension(self, node: ast.AST, generators: list[ast.comprehension], parts: list[ast.AST]) -> None:
        self.generators += len(generators)
        if self.generators > MAX_GENERATORS:
            raise self.fail(f"at most {MAX_GENERATORS} 'for' clauses are allowed in one expression", node)
        self.visit(generators[0].iter)  # evaluated in the enclosing scope
        scope: set[str] = set()
        self.scopes.append(scope)
        try:
            for i, generator in enumerate(generators):
                if generator.is_async:
                    raise self.fail("async comprehensions are not allowed", node)
                if i:
                    self.visit(generator.iter)
                self._bind(generator.target, scope)
                self.visit_all(generator.ifs)
            self.visit_all(parts)
        finally:
            self.scopes.pop()

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node, node.generators, [node.elt])

    visit_SetComp = visit_ListComp
    visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, node.generators, [node.key, node.value])


def check_expression(source: str, tree: ast.Expression, variables: Iterable[str]) -> None:
    """Raise :class:`ExpressionError` unless every part of ``tree`` is allowed."""
    check_shape(source, tree)
    _Checker(source, variables).visit(tree.body)
