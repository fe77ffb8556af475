from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.management import call_command


def test_the_project_passes_django_system_checks() -> None:
    call_command("check", fail_level="WARNING")


def test_models_and_migrations_agree(db: None) -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_production_settings_pass_the_deploy_checks(tmp_path: Path) -> None:
    # What a production deployment behind a TLS-terminating proxy sets (README,
    # "Production settings"); a fresh interpreter, since settings load once.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RIFFLE_"))}
    env.update({
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "riffle.example.com",
        "DJANGO_HTTPS": "1",
        "DJANGO_HSTS_SECONDS": "31536000",
        "RIFFLE_SECRETS_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    })
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
