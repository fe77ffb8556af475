"""The Serde contract: values to bytes and back, ``None`` always mapping to ``None``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

__all__ = ["FunctionSerde", "Headers", "Serde", "WrappingSerde"]

T = TypeVar("T")

Headers = Sequence[tuple[str, bytes]]


class Serde(Generic[T]):
    """Serializer and deserializer of one type.

    Subclasses implement :meth:`serialize` and :meth:`deserialize`. ``None`` maps to
    ``None`` both ways (a Kafka null, i.e. a tombstone), as Kafka's serdes do. The
    topic is passed for serdes that need it (schema registries name subjects by topic).
    Failures raise :class:`runtime.errors.SerializationError`.
    """

    #: short name used by configuration and topology documents ("string", "long", ...)
    name: str = "custom"

    def serialize(self, data: T | None, topic: str | None = None,
                  headers: Headers | None = None) -> bytes | None:
        raise NotImplementedError

    def deserialize(self, data: bytes | None, topic: str | None = None,
                    headers: Headers | None = None) -> T | None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"Serdes.{self.name}()" if self.name != "custom" else f"{type(self).__name__}()"


class FunctionSerde(Serde[Any]):
    """A serde made of two plain functions (``Serdes.serde_from``)."""

    def __init__(self, serializer: Callable[[Any], bytes | None],
                 deserializer: Callable[[bytes], Any], name: str = "custom") -> None:
        self._serializer = serializer
        self._deserializer = deserializer
        self.name = name

    def serialize(self, data: Any, topic: str | None = None,
                  headers: Headers | None = None) -> bytes | None:
        from runtime.errors import SerializationError

        if data is None:
            return None
        try:
            return self._serializer(data)
        except SerializationError:
            raise
        except Exception as exc:
            raise SerializationError(f"{self!r} could not serialize {data!r}: {exc}") from exc

    def deserialize(self, data: bytes | None, topic: str | None = None,
                    headers: Headers | None = None) -> Any:
        from runtime.errors import SerializationError

        if data is None:
            return None
        try:
            return self._deserializer(data)
        except SerializationError:
            raise
        except Exception as exc:
            raise SerializationError(f"{self!r} could not deserialize {data[:64]!r}: {exc}") from exc


class WrappingSerde(Serde[Any]):
    """A serde of an envelope around values of one inner serde.

    ``inner`` may stay None until the application's default serde is known: internal
    topics take the default when their processors start (Kafka's ``setIfUnset``).
    """

    def __init__(self, inner: Serde[Any] | None) -> None:
        self.inner = inner

    def set_if_unset(self, default: Serde[Any]) -> None:
        if self.inner is None:
            self.inner = default

    def _inner(self) -> Serde[Any]:
        if self.inner is None:
            from runtime.errors import SerializationError

            raise SerializationError(f"{type(self).__name__}: the inner serde was never set")
        return self.inner
