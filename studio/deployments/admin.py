from __future__ import annotations

from django.contrib import admin

from studio.deployments.models import AuditEvent, Deployment, Replica, ReprocessOperation


class ReplicaInline(admin.TabularInline):
    model = Replica
    fields = ("index", "state", "host", "pid", "last_heartbeat", "celery_task_id", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    list_display = ("application_id", "topology", "version", "connection", "desired_state", "observed_state",
                    "replicas", "updated_at")
    list_filter = ("desired_state", "observed_state")
    list_select_related = ("topology", "version", "connection")
    # State changes go through start/stop so that they are audited and reconciled.
    readonly_fields = ("desired_state", "observed_state", "last_error", "created_by", "output_topic_map", "live",
                       "candidate_of", "discarded_at")
    inlines = [ReplicaInline]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Moving running replicas to another cluster is not an edit: deploy again.
        return (*self.readonly_fields, "connection") if obj is not None else self.readonly_fields


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "verb", "object_type", "object_id")
    list_filter = ("verb", "object_type")
    readonly_fields = ("at", "actor", "verb", "object_type", "object_id", "data")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ReprocessOperation)
class ReprocessOperationAdmin(admin.ModelAdmin):
    list_display = ("id", "deployment", "kind", "state", "created_by", "created_at", "finished_at")
    list_filter = ("kind", "state")
    readonly_fields = ("deployment", "kind", "request", "result", "created_by", "created_at", "finished_at")
