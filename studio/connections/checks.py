"""System checks of the connections app: the secrets' encryption keys."""

from __future__ import annotations

from typing import Any

from django.core import checks

from studio.connections import crypto


@checks.register(checks.Tags.security)
def secrets_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """connections.E001: RIFFLE_SECRETS_KEYS is missing outside development, or malformed."""
    return [
        checks.Error(problem, hint="See README.md, \"Production settings\".", id="connections.E001")
        for problem in crypto.key_problems()
    ]
