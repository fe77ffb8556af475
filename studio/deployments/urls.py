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

# Reprocessing (reset, side by side), views of their own module.
from studio.deployments import reprocess_views  # noqa: E402

urlpatterns += [
    path("deployments/<int:deployment_id>/reset/", reprocess_views.deployment_reset, name="reset"),
    path("deployments/<int:deployment_id>/operations/", reprocess_views.operation_list, name="operations"),
    path("deployments/<int:deployment_id>/operations/<int:operation_id>/", reprocess_views.operation_detail,
         name="operation"),
    path("deployments/<int:deployment_id>/side-by-side/", reprocess_views.deployment_side_by_side,
         name="side-by-side"),
    path("deployments/<int:deployment_id>/comparison/", reprocess_views.deployment_comparison, name="comparison"),
    path("deployments/<int:deployment_id>/promote/", reprocess_views.deployment_promote, name="promote"),
    path("deployments/<int:deployment_id>/discard/", reprocess_views.deployment_discard, name="discard"),
    path("topologies/<int:topology_id>/live/", reprocess_views.topology_live_output, name="live-output"),
]
