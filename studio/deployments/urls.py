from __future__ import annotations

from django.urls import path

from studio.deployments import metrics_views, monitoring_views, query_views, views

app_name = "deployments"

urlpatterns = [
    path("deployments/", views.deployment_list, name="list"),
    path("deployments/<int:deployment_id>/", views.deployment_detail, name="detail"),
    path("deployments/<int:deployment_id>/start/", views.deployment_start, name="start"),
    path("deployments/<int:deployment_id>/stop/", views.deployment_stop, name="stop"),
    path("deployments/<int:deployment_id>/scale/", views.deployment_scale, name="scale"),
    path("deployments/<int:deployment_id>/restart/", views.deployment_restart, name="restart"),
    path("deployments/<int:deployment_id>/lag/", views.deployment_lag, name="lag"),
    path("deployments/<int:deployment_id>/errors/", monitoring_views.deployment_errors, name="errors"),
    path("deployments/<int:deployment_id>/samples/", monitoring_views.deployment_samples, name="samples"),
    path("deployments/<int:deployment_id>/stores/", query_views.store_list, name="stores"),
    path("deployments/<int:deployment_id>/stores/<str:store_name>/", query_views.store_query, name="store-query"),
    path("deployments/<int:deployment_id>/metrics/", metrics_views.deployment_metrics, name="metrics"),
    path("audit/", views.audit_list, name="audit"),
]
