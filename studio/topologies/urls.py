from __future__ import annotations

from django.urls import path

from studio.topologies import expressions, tools, trybench, views

app_name = "topologies"

urlpatterns = [
    path("catalog/", views.catalog, name="catalog"),
    path("port-kinds/", views.port_kinds, name="port-kinds"),
    path("document-schema/", views.document_schema, name="document-schema"),
    path("functions/", views.functions, name="functions"),
    path("processors/", views.processors, name="processors"),
    path("topologies/", views.topology_list, name="list"),
    path("topologies/<int:topology_id>/", views.topology_detail, name="detail"),
    path("topologies/<int:topology_id>/versions/", views.topology_versions, name="versions"),
    path(
        "topologies/<int:topology_id>/versions/<int:number>/",
        views.topology_version_detail, name="version-detail",
    ),
    path("validate/", tools.validate, name="validate"),
    path("export/", tools.export_document, name="export"),
    path("try/", trybench.try_document, name="try"),
    path("expressions/check/", expressions.check, name="expression-check"),
    path(
        "topologies/<int:topology_id>/versions/<int:number>/describe/",
        tools.describe, name="version-describe",
    ),
    path(
        "topologies/<int:topology_id>/versions/<int:number>/export/",
        tools.export, name="version-export",
    ),
    path("topologies/<int:topology_id>/diff/", tools.diff, name="diff"),
]
