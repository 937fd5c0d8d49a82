"""API resource ``cycles/``."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from cycles import services
from cycles.models import Cycle, CycleKind, CycleStatus
from orgs import permissions
from orgs.tenancy import OrgScopedViewSet


class CycleSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=CycleKind.choices, required=False, default=CycleKind.QUARTER)
    status = serializers.ChoiceField(choices=CycleStatus.choices, required=False, default=CycleStatus.PLANNING)

    class Meta:
        model = Cycle
        fields = ["id", "name", "start_date", "end_date", "status", "kind"]
        validators: list = []  # uniqueness is checked by the service, with a clear message

    def validate(self, attrs: dict) -> dict:
        start = attrs.get("start_date") or (self.instance.start_date if self.instance else None)
        end = attrs.get("end_date") or (self.instance.end_date if self.instance else None)
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": "The end date must be on or after the start date."})
        return attrs


class CycleViewSet(OrgScopedViewSet):
    model = Cycle
    serializer_class = CycleSerializer

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        qs = qs.order_by("-start_date", "end_date", "name")
        status = self.request.query_params.get("status")
        if status in CycleStatus.values:
            qs = qs.filter(status=status)
        return qs

    def _require_planner(self) -> None:
        if not permissions.can_plan(self.membership):
            raise PermissionDenied("Only admins and managers manage cycles.")

    def perform_create(self, serializer: CycleSerializer) -> None:
        self._require_planner()
        data = serializer.validated_data
        serializer.instance = services.cycle_create(
            org=self.org,
            actor=self.request.user,
            name=data["name"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            kind=data.get("kind", CycleKind.QUARTER),
            status=data.get("status", CycleStatus.PLANNING),
        )

    def perform_update(self, serializer: CycleSerializer) -> None:
        self._require_planner()
        data = serializer.validated_data
        cycle = serializer.instance
        reopening = cycle.status == CycleStatus.CLOSED and data.get("status") not in (None, CycleStatus.CLOSED)
        if reopening and not permissions.is_admin(self.membership):
            raise PermissionDenied("Only admins re-open a closed cycle.")
        serializer.instance = services.cycle_update(
            cycle=cycle,
            actor=self.request.user,
            name=data.get("name"),
            start_date=data.get("start_date"),
            end_date=data.get("end_date"),
            status=data.get("status"),
        )

    def perform_destroy(self, instance: Cycle) -> None:
        if not permissions.is_admin(self.membership):
            raise PermissionDenied("Only admins delete cycles.")
        services.cycle_delete(cycle=instance, actor=self.request.user)
