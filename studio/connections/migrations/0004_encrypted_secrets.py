"""Connection secrets are stored encrypted (studio.connections.crypto).

The password column becomes a text column (a token is longer than its plaintext); the
stored plaintext of every password and client key is encrypted with the first key of
RIFFLE_SECRETS_KEYS; then both fields become SecretFields. Reversed, the secrets are
decrypted back to plaintext.
"""

from __future__ import annotations

from typing import Any, Callable

from django.db import migrations, models

import studio.connections.fields
from studio.connections import crypto

SECRET_FIELDS = ("password", "ssl_key_pem")


def _already_encrypted(value: str) -> bool:
    try:
        crypto.decrypt(value)
    except (crypto.InvalidToken, ValueError, UnicodeError):
        return False
    return True


def _convert(apps: Any, change: Callable[[str], str | None]) -> None:
    Connection = apps.get_model("connections", "Connection")
    for connection in Connection.objects.all():
        updates = {}
        for field in SECRET_FIELDS:
            value = getattr(connection, field)
            if value:
                new = change(value)
                if new is not None:
                    updates[field] = new
        if updates:
            Connection.objects.filter(pk=connection.pk).update(**updates)


def encrypt_secrets(apps: Any, schema_editor: Any) -> None:
    _convert(apps, lambda value: None if _already_encrypted(value) else crypto.encrypt(value))


def decrypt_secrets(apps: Any, schema_editor: Any) -> None:
    _convert(apps, lambda value: crypto.decrypt(value) if _already_encrypted(value) else None)


class Migration(migrations.Migration):

    dependencies = [
        ("connections", "0003_workspace_required"),
    ]

    operations = [
        migrations.AlterField(
            model_name="connection",
            name="password",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets),
        migrations.AlterField(
            model_name="connection",
            name="password",
            field=studio.connections.fields.SecretField(blank=True),
        ),
        migrations.AlterField(
            model_name="connection",
            name="ssl_key_pem",
            field=studio.connections.fields.SecretField(blank=True),
        ),
    ]
