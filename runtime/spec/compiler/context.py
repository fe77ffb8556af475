"""What node handlers use to call the DSL: serdes, expressions, names, support checks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runtime.spec.catalog import NODE_TYPES
from runtime.spec.document import Document, Node
from runtime.spec.expressions import compile_expression
from runtime.spec.udf import processor_factory
from runtime.spec.validation import store_name

__all__ = ["CompileContext", "Handler", "Unsupported"]


class Unsupported(Exception):
    """The engine lacks what a node needs (a DSL method or class)."""


class CompileContext:
    def __init__(self, doc: Document, runtime: Any, *, output_topics: Mapping[str, str] | None = None) -> None:
        self.doc = doc
        self.runtime = runtime
        self.output_topics = dict(output_topics or {})
        self.builder = self.runtime_name("StreamsBuilder")()

    def runtime_name(self, name: str) -> Any:
        """A public name of ``runtime`` (StreamsBuilder, Serdes, TimeWindows, ...)."""
        value = getattr(self.runtime, name, None)
        if value is None:
            raise Unsupported(f"the engine has no {name}")
        return value

    def call(self, target: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        """``target.method(*args, **kwargs)``, or Unsupported if the engine lacks it."""
        function = getattr(target, method, None)
        if function is None:
            raise Unsupported(f"{type(target).__name__} has no {method}()")
        try:
            return function(*args, **kwargs)
        except NotImplementedError as exc:
            raise Unsupported(str(exc) or f"{type(target).__name__}.{method}() is not implemented") from exc

    def serde(self, name: str) -> Any:
        serdes = self.runtime_name("Serdes")
        factory = getattr(serdes, name, None)
        if factory is None:
            raise Unsupported(f"the engine has no {name} serde")
        return factory()

    def key_serde(self, params: Mapping[str, Any], field: str = "key_serde") -> Any:
        return self.serde(params.get(field) or self.doc.settings.default_key_serde)

    def value_serde(self, params: Mapping[str, Any], field: str = "value_serde", default: str | None = None) -> Any:
        return self.serde(params.get(field) or default or self.doc.settings.default_value_serde)

    def expression(self, node: Node, param: str) -> Callable[..., Any]:
        """The compiled expression of a param, of the kind the catalog gives it."""
        return compile_expression(node.params[param], NODE_TYPES[node.type].expressions[param])

    def output_topic(self, topic: str) -> str:
        """The topic a sink of ``topic`` writes to, after the compile's overrides."""
        return self.output_topics.get(topic, topic)

    def store(self, node: Node) -> str:
        return store_name(node.id, node.params)

    def processor(self, name: str) -> Callable[[], Any]:
        """The factory of the registered processor ``name`` (runtime.spec.udf)."""
        return processor_factory(name)


# A handler turns one node into DSL calls: (context, node, upstream objects per input
# port, in edge order) -> DSL objects per output port.
Handler = Callable[[CompileContext, Node, Mapping[str, list[Any]]], dict[str, Any]]
