"""Re-encrypt every stored connection secret with the first key of RIFFLE_SECRETS_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from studio.connections import crypto
from studio.connections.fields import Sealed
from studio.connections.models import SECRET_FIELDS, SECRET_LABELS, Connection


class Command(BaseCommand):
    help = ("Re-encrypt every connection secret with the first key of RIFFLE_SECRETS_KEYS. Rotate a key "
            "by putting the new one first (keeping the old ones), running this, then dropping the old ones.")

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = 0
        unreadable: list[str] = []
        for connection in Connection.objects.order_by("name"):
            updates: dict[str, Sealed] = {}
            for field in SECRET_FIELDS:
                value = getattr(connection, field)
                if not isinstance(value, Sealed) or not value:
                    continue
                try:
                    updates[field] = Sealed(crypto.rotate(value.token))
                except crypto.InvalidToken:
                    unreadable.append(f"the {SECRET_LABELS[field]} of connection {connection.name!r}")
            if updates:
                # Not a change of the connection's settings: updated_at stays.
                Connection.objects.filter(pk=connection.pk).update(**updates)
                rotated += len(updates)
        self.stdout.write(f"Re-encrypted {rotated} secret(s) with the first key of RIFFLE_SECRETS_KEYS.")
        if unreadable:
            raise CommandError(
                "No key in RIFFLE_SECRETS_KEYS decrypts " + ", ".join(unreadable)
                + ": add the key that encrypted them, or enter them again."
            )
