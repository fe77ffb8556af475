"""Java's iteration and sort orders, so describe() prints names in Kafka's order.

Kafka Streams prints the topics of a source and the stores of a processor from a
``java.util.HashSet``; its iteration order follows the buckets of ``String.hashCode``.
Node names are compared with ``String.compareTo`` (UTF-16 code units).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["java_compare_key", "java_hash_set_order", "java_string_hash"]


def java_string_hash(s: str) -> int:
    """``String.hashCode()`` as an unsigned 32-bit int."""
    units = s.encode("utf-16-be")
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + ((units[i] << 8) | units[i + 1])) & 0xFFFFFFFF
    return h


def _table_size_for(capacity: int) -> int:
    n = 1
    while n < capacity:
        n <<= 1
    return n


def java_hash_set_order(items: Iterable[str], *, copied: bool = True) -> list[str]:
    """Iteration order of a HashSet holding ``items`` (inserted in the given order).

    ``copied``: the set was built with ``new HashSet<>(collection)``, which sizes the
    table to ``max(n / 0.75 + 1, 16)``; otherwise it grew from the default 16.
    """
    unique: list[str] = list(dict.fromkeys(items))
    n = len(unique)
    if copied:
        capacity = _table_size_for(max(int(n / 0.75) + 1, 16))
    else:
        capacity = 16
        while n > capacity * 0.75:
            capacity <<= 1

    def bucket(s: str) -> int:
        h = java_string_hash(s)
        return (h ^ (h >> 16)) & (capacity - 1)

    # Within a bucket Java keeps insertion order (the list is never treeified for
    # the handful of names a node has), so a stable sort by bucket reproduces it.
    return sorted(unique, key=bucket)


def java_compare_key(s: str) -> bytes:
    """Sort key equal to Java's ``String.compareTo`` order."""
    return s.encode("utf-16-be")


def java_list_string(items: Sequence[str]) -> str:
    """``AbstractCollection.toString()``: ``[a, b]``."""
    return "[" + ", ".join(items) + "]"
