"""Websocket routes (mounted by studio.asgi under AuthMiddlewareStack)."""

from __future__ import annotations

from django.urls import path

from studio.monitoring.consumers import DeploymentConsumer, FeedConsumer

websocket_urlpatterns = [
    path("ws/deployments/", FeedConsumer.as_asgi()),
    path("ws/deployments/<int:deployment_id>/", DeploymentConsumer.as_asgi()),
]
