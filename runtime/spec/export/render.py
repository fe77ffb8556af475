"""Python source text of recorded expressions, literals, comments and docstrings.

Everything that comes from the document is written as a literal made by ``repr()``
(or, for comments and the docstring, escaped and checked), so no text of the document
can become code of the program.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime
import enum
import importlib
import math
import re
import textwrap
from typing import Any

from runtime.spec.export.layout import init_fields
from runtime.spec.export.recorder import Attr, Call, Expr, Name, Subscript

__all__ = ["LIMIT", "Renderer", "comment_lines", "docstring"]

LIMIT = 99  # longest line we aim for; only a literal longer than that is split

# Public modules tried first when a value's class or function has to be imported.
_PUBLIC_MODULES = ("runtime.spec", "runtime")
# What the exported program imports from runtime.spec rather than runtime
_SPEC_NAMES = frozenset({"compile_expression", "processor_factory"})


class Unexportable(ValueError):
    """A handler passed something that cannot be written as Python source."""


def printable(text: str) -> str:
    """``text`` with every character that is not printable (newlines, NUL, U+2028,
    ...) written as its backslash escape, so it stays on one line of a comment."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def comment_lines(text: str, indent: str) -> list[str]:
    width = max(LIMIT - len(indent) - 2, 40)
    return [f"{indent}# {line}" for line in textwrap.wrap(printable(text), width) or [""]]


def docstring(text: str) -> str:
    """A triple-quoted literal whose value is ``text`` plus a final newline."""
    escaped = text.replace("\\", "\\\\")
    # Only runs of quotes could end the literal early; a lone " stays readable.
    escaped = re.sub(r'"{2,}', lambda m: '\\"' * len(m.group()), escaped)
    escaped = "\n".join(printable(line) for line in escaped.split("\n"))
    literal = f'"""{escaped}\n"""'
    try:
        if ast.literal_eval(literal) == text + "\n":
            return literal
    except (SyntaxError, ValueError):
        pass
    return repr(text + "\n")  # always correct, only less readable


def _split(text: str, width: int) -> list[str]:
    """Pieces of ``text`` whose reprs are at most about ``width`` long, cut after spaces
    where possible; joined they give ``text`` back."""
    pieces: list[str] = []
    while text:
        end = len(text)
        while len(repr(text[:end])) > width and end > 1:
            end = max(1, end * 3 // 4 if len(repr(text[:end])) > 2 * width else end - 1)
        cut = text.rfind(" ", 0, end)
        if end < len(text) and cut >= end // 2:
            end = cut + 1
        pieces.append(text[:end])
        text = text[end:]
    return pieces


def _public_path(obj: Any) -> tuple[str, str] | None:
    """(module, name) through which ``obj`` (a class or function) can be imported."""
    name = getattr(obj, "__qualname__", None)
    if not isinstance(name, str) or "." in name or "<" in name:
        return None
    # The shortest package that offers it: ``runtime.processor``, not ``runtime.processor.api``.
    parts = str(getattr(obj, "__module__", "") or "").split(".")
    for module_name in (*_PUBLIC_MODULES, *(".".join(parts[:i]) for i in range(1, len(parts) + 1))):
        if not module_name:
            continue
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if getattr(module, name, None) is obj:
            return module_name, name
    return None


class Renderer:
    """Renders values given the variable of each named call and the inlined calls."""

    def __init__(self, names: dict[int, str], inline: set[int]) -> None:
        self.names, self.inline = names, inline
        self.imports: dict[str, set[str]] = {}  # module -> names ("" for ``import x``)

    # -- one line ---------------------------------------------------------------------

    def flat(self, value: Any, top: bool = False) -> str:
        if isinstance(value, Expr):
            if not top and id(value) in self.names:
                return self.names[id(value)]
            if isinstance(value, Name):
                self._import_name(value._ident)
                return value._ident
            if isinstance(value, Attr):
                return f"{self.flat(value._base)}.{value._name}"
            if isinstance(value, Subscript):
                return f"{self.flat(value._base)}[{self.flat(value._key)}]"
            if isinstance(value, Call):
                return f"{self.flat(value._func)}({', '.join(self._arguments(value))})"
        return self._literal(value)

    def _arguments(self, call: Call) -> list[str]:
        return [self.flat(a) for a in call._args] + [f"{k}={self.flat(v)}" for k, v in call._kwargs.items()]

    def _literal(self, value: Any) -> str:
        if value is None or isinstance(value, (bool, int, str)):
            return repr(value)
        if isinstance(value, float):
            return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
        if isinstance(value, list):
            return f"[{', '.join(self.flat(v) for v in value)}]"
        if isinstance(value, tuple):
            items = [self.flat(v) for v in value]
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{self.flat(k)}: {self.flat(v)}" for k, v in value.items()) + "}"
        if isinstance(value, datetime.timedelta):
            self.imports.setdefault("datetime", set()).add("")
            return repr(value)
        if isinstance(value, enum.Enum):
            return f"{self._import_object(type(value))}.{value.name}"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            cls = self._import_object(type(value))
            fields = init_fields(value)
            return f"{cls}({', '.join(f'{f.name}={self.flat(getattr(value, f.name))}' for f in fields)})"
        if isinstance(value, type) or callable(value):
            return self._import_object(value)
        raise Unexportable(f"a {type(value).__name__} cannot be written as Python source")

    def _import_name(self, ident: str) -> None:
        module = "runtime.spec" if ident in _SPEC_NAMES else "runtime"
        self.imports.setdefault(module, set()).add(ident)

    def _import_object(self, obj: Any) -> str:
        path = _public_path(obj)
        if path is None:
            raise Unexportable(f"{getattr(obj, '__qualname__', type(obj).__name__)} cannot be imported by "
                               "name (only module-level functions and classes can be written out)")
        module, name = path
        self.imports.setdefault(module, set()).add(name)
        return name

    # -- several lines ----------------------------------------------------------------

    def block(self, value: Any, column: int, indent: int, extra: int = 0, top: bool = False) -> str:
        """``value`` starting at ``column``, continuation lines indented by ``indent``
        (plus 4), ``extra`` characters following it on its last line."""
        flat = self.flat(value, top)
        if column + len(flat) + extra <= LIMIT:
            return flat
        pad, inner = " " * indent, " " * (indent + 4)
        if isinstance(value, Call) and (top or id(value) not in self.names):
            links = self._chain(value)
            if len(links) > 1:
                head = self.block(links[0], indent + 4, indent + 4)
                lines = [head] + [
                    f".{link._func._name}{self._call_tail(link, indent + 5 + len(link._func._name), indent + 4)}"
                    for link in links[1:]]
                return "(\n" + "\n".join(inner + line for line in lines) + f"\n{pad})"
            func = self.flat(value._func)
            return func + self._call_tail(value, column + len(func), indent, extra)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            cls = self._import_object(type(value))
            kwargs = {f.name: getattr(value, f.name) for f in init_fields(value)}
            return cls + self._tail((), kwargs, column + len(cls), indent, extra)
        if isinstance(value, str) and len(flat) > 8:
            pieces = _split(value, LIMIT - indent - 4)
            if len(pieces) > 1:
                return "(\n" + "\n".join(inner + repr(p) for p in pieces) + f"\n{pad})"
        if isinstance(value, (list, dict)) and value:
            opening, closing = ("[", "]") if isinstance(value, list) else ("{", "}")
            items = ([self.block(v, indent + 4, indent + 4, 1) for v in value] if isinstance(value, list) else
                     [f"{self.flat(k)}: {self.block(v, indent + 6 + len(self.flat(k)), indent + 4, 1)}"
                      for k, v in value.items()])
            return opening + "\n" + "".join(f"{inner}{item},\n" for item in items) + pad + closing
        return flat

    def _chain(self, call: Call) -> list[Call]:
        """``a.f(x).g(y)`` as [f(x), g(y)] (innermost first) when f(x) is written inline."""
        links = [call]
        while (isinstance(links[-1]._func, Attr) and isinstance(links[-1]._func._base, Call)
               and id(links[-1]._func._base) in self.inline):
            links.append(links[-1]._func._base)
        links.reverse()
        return links

    def _call_tail(self, call: Call, column: int, indent: int, extra: int = 0) -> str:
        return self._tail(call._args, call._kwargs, column, indent, extra)

    def _tail(self, args: tuple[Any, ...], kwargs: dict[str, Any], column: int, indent: int,
              extra: int = 0) -> str:
        """``(arguments)``: on one line, on the next line, or one a line."""
        arguments = [self.flat(a) for a in args] + [f"{k}={self.flat(v)}" for k, v in kwargs.items()]
        one_line = f"({', '.join(arguments)})"
        if column + len(one_line) + extra <= LIMIT:
            return one_line
        pad, inner = " " * indent, " " * (indent + 4)
        joined = ", ".join(arguments)
        if indent + 4 + len(joined) <= LIMIT:
            return f"(\n{inner}{joined}\n{pad})"
        items = [self.block(a, indent + 4, indent + 4, 1) for a in args]
        items += [f"{k}={self.block(v, indent + 5 + len(k), indent + 4, 1)}" for k, v in kwargs.items()]
        return "(\n" + "".join(f"{inner}{item},\n" for item in items) + pad + ")"
