from django.contrib import admin

from core.admin import ReadOnlyAdmin
from kpis.models import Kpi, Measurement


@admin.register(Kpi)
class KpiAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "organization",
        "owner_type",
        "owner_team",
        "owner_user",
        "frequency",
        "perspective",
        "active",
    )
    list_filter = ("organization", "perspective", "frequency", "direction", "active")
    search_fields = ("name", "organization__slug")
    raw_id_fields = ("owner_team", "owner_user", "created_by")


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyAdmin):
    list_display = ("kpi", "period", "value", "author", "updated_at", "organization")
    list_filter = ("organization",)
    search_fields = ("kpi__name",)
    date_hierarchy = "period"
    raw_id_fields = ("kpi", "author")
