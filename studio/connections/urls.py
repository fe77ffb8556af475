from __future__ import annotations

from django.urls import path

from studio.connections import views

app_name = "connections"

# Kafka's topic names use only letters, digits, '.', '_' and '-'.
urlpatterns = [
    path("connections/", views.connection_list, name="list"),
    path("connections/<int:connection_id>/", views.connection_detail, name="detail"),
    path("connections/<int:connection_id>/test/", views.connection_test, name="test"),
    path("connections/<int:connection_id>/topics/", views.topic_list, name="topics"),
    path("connections/<int:connection_id>/topics/<str:topic>/records/", views.topic_records, name="records"),
]
