"""Murmur3 x64 128-bit, as Kafka Streams' ``Murmur3.hash128`` (seed 104729): the
foreign-key join hashes the left value with it to recognise stale responses.

Uses the ``mmh3`` package when it is installed; otherwise a pure-Python version (the
values hashed are single records, so speed matters little).
"""

from __future__ import annotations

__all__ = ["DEFAULT_SEED", "hash128"]

DEFAULT_SEED = 104729

_MASK = (1 << 64) - 1
_C1 = 0x87C37B91114253D5
_C2 = 0x4CF5AD432745937F


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _MASK


def _fmix(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK
    h ^= h >> 33
    return h


def _signed(x: int) -> int:
    return x - (1 << 64) if x >= 1 << 63 else x


def _mix_k1(k1: int) -> int:
    return (_rotl((k1 * _C1) & _MASK, 31) * _C2) & _MASK


def _mix_k2(k2: int) -> int:
    return (_rotl((k2 * _C2) & _MASK, 33) * _C1) & _MASK


def _hash128_py(data: bytes, seed: int) -> tuple[int, int]:
    h1 = h2 = seed & _MASK
    length = len(data)
    nblocks = length // 16
    for i in range(nblocks):
        k1 = int.from_bytes(data[i * 16:i * 16 + 8], "little")
        k2 = int.from_bytes(data[i * 16 + 8:i * 16 + 16], "little")
        h1 ^= _mix_k1(k1)
        h1 = (_rotl(h1, 27) + h2) & _MASK
        h1 = (h1 * 5 + 0x52DCE729) & _MASK
        h2 ^= _mix_k2(k2)
        h2 = (_rotl(h2, 31) + h1) & _MASK
        h2 = (h2 * 5 + 0x38495AB5) & _MASK
    tail = data[nblocks * 16:]
    if len(tail) > 8:
        h2 ^= _mix_k2(int.from_bytes(tail[8:], "little"))
    if tail:
        h1 ^= _mix_k1(int.from_bytes(tail[:8], "little"))
    h1 ^= length
    h2 ^= length
    h1 = (h1 + h2) & _MASK
    h2 = (h2 + h1) & _MASK
    h1 = _fmix(h1)
    h2 = _fmix(h2)
    h1 = (h1 + h2) & _MASK
    h2 = (h2 + h1) & _MASK
    return _signed(h1), _signed(h2)


try:
    import mmh3 as _mmh3
except ImportError:  # pragma: no cover - depends on the environment
    _mmh3 = None


def hash128(data: bytes, seed: int = DEFAULT_SEED) -> tuple[int, int]:
    """The two 64-bit halves as Java's signed longs ``(h1, h2)``."""
    if _mmh3 is not None:
        h1, h2 = _mmh3.hash64(data, seed, True, True)
        return int(h1), int(h2)
    return _hash128_py(bytes(data), seed)
