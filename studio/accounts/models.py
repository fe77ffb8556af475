"""API tokens for scripts.

A token is shown once, when created; the database keeps only its SHA-512 digest (knox),
so a leaked database does not leak working tokens. Every token expires.
"""

from __future__ import annotations

from typing import TypedDict

from django.db import models
from knox.models import AbstractAuthToken


class TokenDict(TypedDict):
    id: str
    description: str
    created_at: str
    expires_at: str | None


class ApiToken(AbstractAuthToken):
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        # The default shows the digest; the key prefix is what users recognise.
        return f"{self.token_key}… of {self.user}"

    def to_dict(self) -> TokenDict:
        return {
            "id": self.token_key,
            "description": self.description,
            "created_at": self.created.isoformat(),
            "expires_at": self.expiry.isoformat() if self.expiry else None,
        }
