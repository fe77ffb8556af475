from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from studio.settings import envbool, envint, envjson_object, envlist

ROOT = Path(__file__).resolve().parents[2]


def test_envbool_reads_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [("1", True), ("true", True), ("Yes", True), ("0", False), ("off", False)]:
        monkeypatch.setenv("RIFFLE_T", raw)
        assert envbool("RIFFLE_T", not expected) is expected
    monkeypatch.delenv("RIFFLE_T")
    assert envbool("RIFFLE_T", True) is True


def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIFFLE_T", "maybe")
    with pytest.raises(ImproperlyConfigured, match="RIFFLE_T='maybe' is not a boolean"):
        envbool("RIFFLE_T", False)
    monkeypatch.setenv("RIFFLE_T", "12x")
    with pytest.raises(ImproperlyConfigured, match="RIFFLE_T='12x' is not an integer"):
        envint("RIFFLE_T", 1)
    monkeypatch.setenv("RIFFLE_T", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        envint("RIFFLE_T", 1, minimum=1)
    monkeypatch.setenv("RIFFLE_T", "[1]")
    with pytest.raises(ImproperlyConfigured, match="must be a JSON object"):
        envjson_object("RIFFLE_T", {})


def test_envlist_splits_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIFFLE_T", " a.example, b.example ,,")
    assert envlist("RIFFLE_T", []) == ["a.example", "b.example"]


def _load_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A fresh interpreter: settings are read once per process.
    code = "import studio.settings as s; print(s.DEBUG, s.SECRET_KEY[:6], s.DATABASES['default']['ENGINE'])"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True, text=True, timeout=60,
    )


def test_production_needs_a_secret_key() -> None:
    result = _load_settings({"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "riffle.example"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0" in result.stderr


def test_production_reads_secret_and_database_from_the_environment() -> None:
    result = _load_settings({
        "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "k" * 50, "DJANGO_ALLOWED_HOSTS": "riffle.example",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/riffle",
    })
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "kkkkkk", "django.db.backends.postgresql"]


@pytest.mark.parametrize(("url", "timeout"), [
    ("postgres://db.example/riffle", "5"),
    ("postgres://db.example/riffle?connect_timeout=12", "12"),
])
def test_postgresql_connections_give_up_after_a_connect_timeout(url: str, timeout: str) -> None:
    # Without one, libpq waits forever on a server behind a dropped route.
    code = "import studio.settings as s; print(s.DATABASES['default']['OPTIONS']['connect_timeout'])"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == timeout
