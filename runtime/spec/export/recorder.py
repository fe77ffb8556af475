"""A recording stand-in for the ``runtime`` module.

The compiler's node handlers reach the DSL only through :class:`CompileContext`
(``ctx.call``, ``ctx.runtime_name``, ``ctx.serde``, ``ctx.expression``, ...). Run
against :class:`RecordingContext`, every DSL object they get back is an :class:`Expr`
that remembers how it was made, so the export writes the very calls the compiler
makes, in the same order, for every node type the compiler supports.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from runtime.spec.catalog import NODE_TYPES
from runtime.spec.compiler.context import CompileContext
from runtime.spec.document import Document, Node
from runtime.spec.expressions import compile_expression

__all__ = ["Attr", "Call", "Expr", "Name", "Recorder", "RecordingContext", "Subscript"]


class Expr:
    """A Python expression under construction; attribute access, calls and
    subscripts on it record further expressions instead of doing anything.

    Its own fields start with an underscore so that no DSL method name can clash
    with them.
    """

    _recorder: Recorder

    def __getattr__(self, name: str) -> Attr:
        # Dunder and private probes (copy, pickle, hasattr checks) are not DSL calls.
        if name.startswith("_") or not name.isidentifier() or keyword.iskeyword(name):
            raise AttributeError(name)
        return Attr(self._recorder, self, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Call:
        for key in kwargs:
            if not key.isidentifier() or keyword.iskeyword(key):
                raise TypeError(f"{key!r} cannot be written as a keyword argument")
        return self._recorder.call(self, args, kwargs)

    def __getitem__(self, key: Any) -> Subscript:
        return Subscript(self._recorder, self, key)

    def __iter__(self) -> Any:
        # Unpacking a recorded object would need its value, which only exists when the
        # program runs; fail loudly instead of recording nonsense.
        raise TypeError("a recorded DSL object cannot be iterated while exporting")


class Name(Expr):
    """A name the exported program imports or defines (``Serdes``, ``builder``)."""

    def __init__(self, recorder: Recorder, ident: str) -> None:
        self._recorder, self._ident = recorder, ident


class Attr(Expr):
    def __init__(self, recorder: Recorder, base: Expr, name: str) -> None:
        self._recorder, self._base, self._name = recorder, base, name


class Subscript(Expr):
    def __init__(self, recorder: Recorder, base: Expr, key: Any) -> None:
        self._recorder, self._base, self._key = recorder, base, key


class Call(Expr):
    """One call, numbered in the order the handlers made it, and owned by the node
    whose handler made it (``None`` for the builder itself)."""

    def __init__(self, recorder: Recorder, func: Expr, args: tuple[Any, ...], kwargs: dict[str, Any],
                 seq: int, node: Node | None) -> None:
        self._recorder, self._func, self._args, self._kwargs = recorder, func, args, kwargs
        self._seq, self._node = seq, node


class Recorder:
    """Every call recorded, in order, and the node being handled."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.node: Node | None = None

    def call(self, func: Expr, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call:
        made = Call(self, func, args, dict(kwargs), len(self.calls), self.node)
        self.calls.append(made)
        return made

    def name(self, ident: str) -> Name:
        return Name(self, ident)


class RecordingRuntime:
    """Stands in for the ``runtime`` module: its public names become :class:`Name`s.

    Only names the real engine has are offered, so a handler sees the same
    ``Unsupported`` as when compiling.
    """

    def __init__(self, recorder: Recorder, runtime: Any) -> None:
        self._recorder, self._runtime = recorder, runtime

    def __getattr__(self, name: str) -> Name:
        if name.startswith("_") or name not in getattr(self._runtime, "__all__", ()):
            raise AttributeError(name)
        return self._recorder.name(name)


class RecordingContext(CompileContext):
    """A :class:`CompileContext` whose DSL objects are recorded expressions."""

    def __init__(self, doc: Document, runtime: Any) -> None:
        self.recorder = Recorder()
        super().__init__(doc, RecordingRuntime(self.recorder, runtime))

    def on_node(self, node: Node) -> None:
        self.recorder.node = node

    def expression(self, node: Node, param: str) -> Callable[..., Any]:
        # The program compiles the text with the same sandbox when it runs; checking it
        # here too makes a bad expression fail the export, not the exported program.
        source, kind = node.params[param], NODE_TYPES[node.type].expressions[param]
        compile_expression(source, kind)
        return self.recorder.name("compile_expression")(source, kind)

    def processor(self, name: str) -> Callable[[], Any]:
        # A registered processor is looked up by name when the program runs, as when
        # the document compiles: it must be installed there too (an entry point).
        super().processor(name)   # unknown here: the export fails as the compile does
        return self.recorder.name("processor_factory")(name)
