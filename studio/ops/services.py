"""Where studio's services are, and whether they answer (shared by /healthz and runstack)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from studio.lib.devservices import Probe, redact_url

DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:9092"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def kafka_bootstrap() -> str:
    return str(getattr(settings, "KAFKA_BOOTSTRAP_SERVERS", None) or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or DEFAULT_KAFKA_BOOTSTRAP)


def redis_url() -> str:
    return str(getattr(settings, "REDIS_URL", None) or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)


def describe_database(settings_dict: dict[str, Any]) -> str:
    """A human address for a DATABASES entry, without its password."""
    engine = str(settings_dict.get("ENGINE", "")).rsplit(".", 1)[-1]
    name = settings_dict.get("NAME") or ""
    if engine == "sqlite3":
        return f"SQLite file {name}"
    host = settings_dict.get("HOST") or "local socket"
    port = settings_dict.get("PORT") or ""
    address = f"{host}:{port}" if port else str(host)
    user = settings_dict.get("USER") or ""
    return f"{engine} {user + '@' if user else ''}{address}/{name}"


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def probe_database(connection: BaseDatabaseWrapper | None = None) -> Probe:
    connection = connection if connection is not None else connections["default"]
    where = describe_database(connection.settings_dict)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except (DatabaseError, OSError) as exc:
        return Probe(False, f"cannot reach the database at {where}: {one_line(exc)}")
    return Probe(True, where)


def database_setting_hint() -> str:
    value = os.environ.get("DATABASE_URL")
    return f"DATABASE_URL={redact_url(value)}" if value else "DATABASE_URL (unset: SQLite)"
