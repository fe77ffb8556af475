from __future__ import annotations

from django.contrib import admin

from studio.topologies.models import Topology, TopologyVersion


class VersionInline(admin.TabularInline):
    model = TopologyVersion
    fields = ("number", "message", "created_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # versions are created through the API, which validates them


@admin.register(Topology)
class TopologyAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "created_by", "updated_at")
    list_filter = ("workspace",)
    search_fields = ("name", "description")
    inlines = [VersionInline]


@admin.register(TopologyVersion)
class TopologyVersionAdmin(admin.ModelAdmin):
    list_display = ("topology", "number", "message", "created_by", "created_at")
    list_filter = ("topology",)
    readonly_fields = ("topology", "number", "document", "message", "created_by", "created_at", "problems")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
