"""Encryption at rest of the connections' secrets (Fernet, from the `cryptography` package).

Keys come from RIFFLE_SECRETS_KEYS, a comma-separated list of Fernet keys: the first
encrypts, every one decrypts (MultiFernet). To rotate, put a new key first, run
`manage.py rotate_secrets` (it re-encrypts every secret with the first key), then drop
the old key. Without keys, development (settings.RIFFLE_SECRETS_DERIVED_KEY, decided from
DEBUG when the settings load) uses a key derived from SECRET_KEY; anywhere else the
system check `connections.E001` stops start-up and every use raises SecretsKeyError.

Nothing here logs, and no message quotes a key or a secret.
"""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "SecretsKeyError", "decrypt", "derived_key", "encrypt", "key_problems", "rotate"]

GENERATE_HINT = (
    "generate one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


class SecretsKeyError(ImproperlyConfigured):
    """No usable key: RIFFLE_SECRETS_KEYS is missing (outside development) or malformed."""


def derived_key(secret_key: str) -> str:
    """The development key: a Fernet key derived from Django's SECRET_KEY."""
    digest = hashlib.sha256(b"riffle connection secrets\0" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def key_problems() -> list[str]:
    """Why the configured keys cannot be used; [] when they can."""
    keys = list(settings.RIFFLE_SECRETS_KEYS)
    if not keys:
        if settings.RIFFLE_SECRETS_DERIVED_KEY:
            return []
        return ["RIFFLE_SECRETS_KEYS is not set: connection secrets (SASL passwords, client keys) "
                "are stored encrypted, and outside development (DJANGO_DEBUG=0) the key must come "
                f"from the environment; {GENERATE_HINT}"]
    problems = []
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            problems.append(f"key {number} of {len(keys)} in RIFFLE_SECRETS_KEYS is not a Fernet key "
                            f"(32 url-safe base64-encoded bytes); {GENERATE_HINT}")
    return problems


def _keys() -> tuple[str, ...]:
    problems = key_problems()
    if problems:
        raise SecretsKeyError(problems[0])
    return tuple(settings.RIFFLE_SECRETS_KEYS) or (derived_key(settings.SECRET_KEY),)


@functools.lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _fernet() -> MultiFernet:
    return _fernet_for(_keys())


def encrypt(plaintext: str) -> str:
    """A Fernet token (URL-safe text) of `plaintext`, with the first key."""
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The plaintext of `token`; raises InvalidToken when no configured key opens it."""
    return _fernet().decrypt(token.encode("ascii")).decode("utf-8")


def rotate(token: str) -> str:
    """`token` re-encrypted with the first key; raises InvalidToken when no key opens it."""
    return _fernet().rotate(token.encode("ascii")).decode("ascii")
