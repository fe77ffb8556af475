from __future__ import annotations

from django.urls import path

from studio.workspaces import views

app_name = "workspaces"

urlpatterns = [
    path("workspaces/", views.workspace_list, name="list"),
    path("workspaces/<int:workspace_id>/", views.workspace_detail, name="detail"),
    path("workspaces/<int:workspace_id>/members/", views.member_list, name="members"),
    path("workspaces/<int:workspace_id>/members/<int:user_id>/", views.member_detail, name="member"),
]
