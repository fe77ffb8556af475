"""URL map: API under /api/, pages, health; every other path is the SPA."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from studio import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/", include("studio.accounts.urls")),
    path("api/", include("studio.workspaces.urls")),
    path("api/", include("studio.topologies.urls")),
    path("api/", include("studio.deployments.urls")),
    path("api/", include("studio.connections.urls")),
    re_path(r"^api/", views.api_not_found),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("studio.ops.urls")),
    # Client-side routes; /static/ is answered by WhiteNoise before URL routing.
    re_path(r"^(?!api/|ws/|static/|admin/|healthz)", views.spa, name="spa"),
]

# A database outage is a 503 with a message wherever it strikes (pages, middleware).
handler500 = views.server_error
