"""ASGI entry point: Django for HTTP, Channels for websockets."""

from __future__ import annotations

import gc
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

from studio.asgi_http import get_threaded_asgi_application  # noqa: E402

# Set up Django (apps, models) before importing anything that touches models.
django_asgi_app = get_threaded_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from studio.connections.routing import websocket_urlpatterns as connection_routes  # noqa: E402
from studio.monitoring.routing import websocket_urlpatterns as monitoring_routes  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(monitoring_routes + connection_routes))
        ),
    }
)

if "daphne.server" in sys.modules:
    # Served: everything made so far (Django, DRF, Channels, the studio's modules) lives
    # as long as the process; frozen, a full collection no longer walks it. Under the
    # load suite a web process's full collections took 100-160 ms every ~10 s before,
    # 27-68 ms after. (Tests import this module too; their process is left alone.)
    gc.freeze()
