from __future__ import annotations

from django.contrib import admin

from studio.accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens can be seen and revoked here; they are made through the API (the token is
    shown once, to its owner)."""

    list_display = ("token_key", "user", "description", "created", "expiry")
    list_filter = ("user",)
    fields = ("token_key", "user", "description", "created", "expiry")
    readonly_fields = fields

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
