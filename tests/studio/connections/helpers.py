"""Values and a request helper shared by the connection tests."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

# Secrets that must never show up in an answer or a log line.
PASSWORD = "s3cr3t-Pa55word-never-shown"  # noqa: S105 - a test value
KEY_PEM = "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n"


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    return getattr(client, method)(path, data=json.dumps(body if body is not None else {}),
                                   content_type="application/json")
