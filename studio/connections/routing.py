"""Websocket routes of the topic browser (mounted by studio.asgi)."""

from __future__ import annotations

from django.urls import path

from studio.connections.consumers import TopicTailConsumer

websocket_urlpatterns = [
    path("ws/connections/<int:connection_id>/topics/<str:topic>/tail/", TopicTailConsumer.as_asgi()),
]
