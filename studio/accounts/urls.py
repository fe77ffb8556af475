from __future__ import annotations

from django.urls import path

from studio.accounts import views

app_name = "accounts"

urlpatterns = [
    path("me/", views.me, name="me"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<str:token_id>/", views.token_detail, name="token"),
]
