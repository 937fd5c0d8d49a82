"""API resource ``cycles/``."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from cycles import services
from cycles.models import Cycle, CycleKind, CycleStatus
from orgs import permissions
from orgs.tenancy import OrgScopedViewSet


class CycleSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=CycleKind.choices, required=False, default=CycleKind.QUARTER)
    status = serializers.ChoiceField(choices=CycleStatus.choices, required=False, default=CycleStatus.PLANNING)

    closing_message = serializers.CharField(read_only=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    approvals_required = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Its objectives are reviewed (submit/, approve/) before they can be activated; admins set it.",
    )

    class Meta:
        model = Cycle
        fields = [
            *("id", "name", "start_date", "end_date", "status", "kind"),
            *("closing_message", "closed_at", "approvals_required"),
        ]
        validators: list = []  # uniqueness is checked by the service, with a clear message

    def validate(self, attrs: dict) -> dict:
        start = attrs.get("start_date") or (self.instance.start_date if self.instance else None)
        end = attrs.get("end_date") or (self.instance.end_date if self.instance else None)
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": "The end date must be on or after the start date."})
        return attrs


class CycleCloseSerializer(serializers.Serializer):
    closing_message = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    force = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Admins only: close even though some retrospectives are not acknowledged (logged).",
    )


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
        if not permissions.can_manage_cycles(self.membership):
            raise PermissionDenied("Only admins manage cycles.")

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
            approvals_required=data.get("approvals_required", False),
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
            check_reviews=True,
            approvals_required=data.get("approvals_required") if "approvals_required" in self.request.data else None,
        )

    @extend_schema(request=CycleCloseSerializer, responses=CycleSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, slug: str, pk: str) -> Response:
        """Close an active cycle: grades are frozen (prefilled from progress where nobody graded),
        a final snapshot is taken and the cycle becomes read-only. Refused (400) while
        retrospectives wait for their reviewer, unless an admin passes ``force``."""
        self._require_planner()
        cycle = self.get_object()
        data = CycleCloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        force = data.validated_data["force"]
        if force and not permissions.is_admin(self.membership):
            raise PermissionDenied("Only admins close a cycle with unacknowledged retrospectives.")
        if cycle.status != CycleStatus.ACTIVE:
            raise DjangoValidationError({"status": _("Only an active cycle can be closed.")})
        cycle = services.cycle_update(
            cycle=cycle,
            actor=request.user,
            status=CycleStatus.CLOSED,
            closing_message=data.validated_data["closing_message"],
            check_reviews=not force,
        )
        return Response(CycleSerializer(cycle, context=self.get_serializer_context()).data)

    def perform_destroy(self, instance: Cycle) -> None:
        if not permissions.is_admin(self.membership):
            raise PermissionDenied("Only admins delete cycles.")
        services.cycle_delete(cycle=instance, actor=self.request.user)
