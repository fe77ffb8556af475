"""Request bodies of the account endpoints."""

from __future__ import annotations

from rest_framework import serializers


class NewToken(serializers.Serializer):
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    expires_in_days = serializers.IntegerField(
        min_value=1, max_value=366, required=False, default=90,
        help_text="days until the token stops working (at most a year)",
    )
