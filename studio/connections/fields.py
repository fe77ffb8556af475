"""A model field for secrets stored encrypted (see studio.connections.crypto)."""

from __future__ import annotations

from typing import Any

from django.db import models

from studio.connections import crypto

__all__ = ["Sealed", "SecretField"]


class Sealed:
    """A secret as the database holds it: a Fernet token, opened only on demand.

    Loading a row never decrypts, so a missing key breaks only the code that needs the
    secret (a Kafka client), never a list or a detail page. Truthy when a secret is set.
    """

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def __bool__(self) -> bool:
        return bool(self.token)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)

    def __repr__(self) -> str:
        return "<sealed secret>"

    __str__ = __repr__


class SecretField(models.TextField):
    """Text stored Fernet-encrypted; "" (not set) is stored as "".

    Loaded values are `Sealed`; a plain string assigned to the field is plaintext and is
    encrypted (with the first key) when saved.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Sealed | str:
        return Sealed(value) if value else ""

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> str:
        if isinstance(value, Sealed):
            return value.token
        if value is None or value == "":
            return ""
        return crypto.encrypt(str(value))

    def value_to_string(self, obj: models.Model) -> str:
        # Serialized (dumpdata) as stored: ciphertext.
        return self.get_prep_value(self.value_from_object(obj))
