"""API resources ``kpis/`` and ``measurements/`` (DESIGN §6).

Serializers validate shapes and scope foreign keys to the caller's
organisation; the rules (targets that fit the direction, periods, one value
per period) live in ``kpis.services``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ProvenanceSerializer
from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent_create
from core.ids import parse_id
from core.provenance import Origin
from kpis import selectors, services
from kpis.access import check_kpi_create, check_kpi_edit, check_kpi_owner_change, check_kpi_recording
from kpis.models import Direction, Frequency, Kpi, Measurement, Perspective
from orgs.api import OrgScopedPrimaryKeyField, OrgUserField, viewer_ids_field
from orgs.models import Team
from orgs.ownership import OwnerType, owner_after_change
from orgs.tenancy import OrgScopedViewSet
from orgs.visibility import Visibility


def _int_param(request: Any, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    value = parse_id(raw)
    if value is None:
        raise ValidationError({name: ["Expected a whole number."]})
    return value


def _date_param(request: Any, name: str) -> date | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: ["Expected a date as YYYY-MM-DD."]}) from None


# --- KPIs -----------------------------------------------------------------------------------


class KpiSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, default="", help_text="Why it matters."
    )
    owner_type = serializers.ChoiceField(choices=OwnerType.choices)
    owner_team = OrgScopedPrimaryKeyField(queryset=Team.objects.all(), allow_null=True, required=False)
    owner_user = OrgUserField(allow_null=True, required=False)
    unit = serializers.CharField(max_length=24, required=False, allow_blank=True, default="")
    direction = serializers.ChoiceField(choices=Direction.choices)
    target = serializers.FloatField(
        required=False, allow_null=True, help_text="Green at or beyond it (higher/lower is better)."
    )
    target_low = serializers.FloatField(required=False, allow_null=True, help_text="Range start (within_range).")
    target_high = serializers.FloatField(required=False, allow_null=True, help_text="Range end (within_range).")
    amber_threshold = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="Amber between it and the target; for within_range, the tolerance outside the range.",
    )
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    perspective = serializers.ChoiceField(choices=Perspective.choices)
    active = serializers.BooleanField(required=False, default=True)
    formula = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        default="",
        help_text="A formula KPI's expression over other KPIs of the same frequency, e.g. `kpi:12 / kpi:7 * 100` "
        "(+ - * /, parentheses, numbers, min, max, abs); empty for a KPI whose values are typed or pulled.",
    )
    source = OrgScopedPrimaryKeyField(
        queryset=Kpi._meta.get_field("source").related_model.objects.all(),  # the data sources' room, above this one
        allow_null=True,
        required=False,
        help_text="The data source its values are pulled from (null: typed by hand or a formula).",
    )
    source_query = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=4000,
        default="",
        help_text="What to read from the source: SQL returning one number (with %(start)s and %(end)s), "
        "a CSV column, or a JSON path.",
    )
    source_period_column = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=120,
        default="",
        help_text="CSV sources: the column naming each row's period for this KPI (empty: the source's own). "
        "Both columns are checked against the sheet when saved.",
    )
    visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        required=False,
        help_text="Who can see it and its values: organization (everyone, the default), team (the owner's team, "
        "its managers and admins) or private (the owner, their managers, admins and the viewers named). Those "
        "who may not see it get 404.",
    )
    viewers = viewer_ids_field()
    latest_value = serializers.SerializerMethodField(help_text="The value of the latest period measured (null: none).")
    status = serializers.SerializerMethodField(help_text="green, amber or red for the latest value; null: no data.")
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Send back the version you read with a change: if someone saved since, the answer is 409 "
        "and nothing is written. Every change of the definition adds one.",
    )

    class Meta:
        model = Kpi
        fields = [
            "id",
            "name",
            "description",
            "owner_type",
            "owner_team",
            "owner_user",
            "unit",
            "direction",
            "target",
            "target_low",
            "target_high",
            "amber_threshold",
            "frequency",
            "perspective",
            "active",
            "formula",
            "source",
            "source_query",
            "source_period_column",
            "latest_value",
            "status",
            "version",
            "visibility",
            "viewers",
        ]

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_latest_value(self, obj: Kpi) -> float | None:
        return obj.latest_value

    @extend_schema_field(serializers.ChoiceField(choices=["green", "amber", "red"], allow_null=True))
    def get_status(self, obj: Kpi) -> str | None:
        return obj.status


_TARGET_FIELDS = ("target", "target_low", "target_high", "amber_threshold")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("owner_type", str, enum=OwnerType.values),
            OpenApiParameter("owner_team", int),
            OpenApiParameter("owner_user", int),
            OpenApiParameter("perspective", str, enum=Perspective.values),
            OpenApiParameter("frequency", str, enum=Frequency.values),
            OpenApiParameter("active", bool),
        ]
    )
)
class KpiViewSet(OrgScopedViewSet):
    """KPIs with their latest value and status. Filters: ``?owner_type=``, ``?owner_team=``,
    ``?owner_user=``, ``?perspective=``, ``?frequency=``, ``?active=true|false``."""

    model = Kpi
    serializer_class = KpiSerializer
    versioned = True  # PATCH with a stale version: 409 (documented by core.schema)

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        # The selector filters by the same organisation and owns the prefetch of
        # the latest value (one windowed query per page).
        params = self.request.query_params
        active = params.get("active")
        return selectors.kpi_list(
            org=self.org,
            owner_type=params.get("owner_type") if params.get("owner_type") in OwnerType.values else None,
            owner_team=_int_param(self.request, "owner_team"),
            owner_user=_int_param(self.request, "owner_user"),
            perspective=params.get("perspective") if params.get("perspective") in Perspective.values else None,
            frequency=params.get("frequency") if params.get("frequency") in Frequency.values else None,
            active={"true": True, "false": False}.get((active or "").lower()),
            history=1,
            seen_by=self.membership,
        ).prefetch_related("viewers")

    def perform_create(self, serializer: KpiSerializer) -> None:
        data = serializer.validated_data
        check_kpi_create(self.membership, (data["owner_type"], data.get("owner_team"), data.get("owner_user")))
        serializer.instance = services.kpi_create(
            org=self.org,
            actor=self.request.user,
            name=data["name"],
            description=data.get("description", ""),
            owner_type=data["owner_type"],
            owner_team=data.get("owner_team"),
            owner_user=data.get("owner_user"),
            unit=data.get("unit", ""),
            direction=data["direction"],
            target=data.get("target"),
            target_low=data.get("target_low"),
            target_high=data.get("target_high"),
            amber_threshold=data.get("amber_threshold"),
            frequency=data["frequency"],
            perspective=data["perspective"],
            active=data.get("active", True),
            formula=data.get("formula", ""),
            source=data.get("source"),
            source_query=data.get("source_query", ""),
            source_period_column=data.get("source_period_column", ""),
            visibility=data.get("visibility"),
            viewers=data.get("viewers"),
        )

    def perform_update(self, serializer: KpiSerializer) -> None:
        kpi: Kpi = serializer.instance
        check_kpi_edit(self.membership, kpi)
        data = dict(serializer.validated_data)
        kwargs: dict[str, Any] = {
            k: data[k]
            for k in (
                "name",
                "description",
                "unit",
                "direction",
                "frequency",
                "perspective",
                "active",
                "formula",
                "source",
                "source_query",
                "source_period_column",
                "visibility",
                "viewers",
                *_TARGET_FIELDS,
            )  # fmt: skip
            if k in data
        }
        owner_change = {k: data[k] for k in ("owner_type", "owner_team", "owner_user") if k in data}
        if owner_change:
            check_kpi_owner_change(self.membership, kpi, owner_after_change(kpi, **owner_change))
            kwargs.update(owner_change)
        kpi = services.kpi_update(kpi=kpi, actor=self.request.user, expected_version=data.get("version"), **kwargs)
        serializer.instance = self.get_queryset().get(pk=kpi.pk)

    def perform_destroy(self, instance: Kpi) -> None:
        check_kpi_edit(self.membership, instance)
        services.kpi_delete(kpi=instance, actor=self.request.user)


# --- measurements -----------------------------------------------------------------------------


class MeasurementSerializer(serializers.ModelSerializer):
    kpi = OrgScopedPrimaryKeyField(queryset=Kpi.objects.all())
    period = serializers.DateField(help_text="Any day of the period; stored as the period's first day.")
    value = serializers.FloatField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    author = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Who recorded the current value (null: an import or a job)."
    )
    origin = serializers.ChoiceField(choices=Origin.choices, read_only=True, help_text="Where the value came from.")
    provenance = ProvenanceSerializer(read_only=True)
    confirm = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="A value that looks like a slip of the keyboard against the KPI's last value (1,234.5 after 81, "
        "against a target of 100) is refused with a 400 on `value`; send it again with `confirm: true` if it is right.",
    )

    class Meta:
        model = Measurement
        fields = ["id", "kpi", "period", "value", "note", "author", "origin", "provenance", "confirm"]
        # A second value for a period corrects the first (an upsert in the service),
        # so the model's unique (kpi, period) must not turn it into a 400 here.
        validators: list = []


@contextmanager
def _confirm_hint() -> Iterator[None]:
    """An unusual value is a 400 on ``value`` that says how to record it anyway."""
    try:
        yield
    except services.UnusualMeasurement as exc:
        message = exc.message_dict["value"][0]
        raise ValidationError({"value": [f"{message} {API_CONFIRM_HINT}"]}) from None


API_CONFIRM_HINT = 'If it is right, send it again with "confirm": true.'


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("kpi", int),
            OpenApiParameter("author", int),
            OpenApiParameter("period_from", OpenApiTypes.DATE),
            OpenApiParameter("period_to", OpenApiTypes.DATE),
        ]
    ),
    create=extend_schema(
        description="Record a value. A value for a period that already has one corrects it "
        "(200, the old value goes to the activity log); a new period answers 201.",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: MeasurementSerializer, 201: MeasurementSerializer},
    ),
)
class MeasurementViewSet(OrgScopedViewSet):
    """Filters: ``?kpi=``, ``?author=``, ``?period_from=``, ``?period_to=`` (YYYY-MM-DD).
    The period is normalised to its first day; one measurement per KPI and period."""

    model = Measurement
    serializer_class = MeasurementSerializer
    idempotent = True  # POST takes an Idempotency-Key (documented by core.schema)

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        qs = qs.select_related("kpi").order_by("kpi_id", "-period", "id")
        for name in ("kpi", "author"):
            value = _int_param(self.request, name)
            if value is not None:
                qs = qs.filter(**{f"{name}_id": value})
        since, until = _date_param(self.request, "period_from"), _date_param(self.request, "period_to")
        if since:
            qs = qs.filter(period__gte=since)
        if until:
            qs = qs.filter(period__lte=until)
        return qs

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return idempotent_create(request, org_id=self.org.pk, create=lambda: self._record(request))

    def _record(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        kpi: Kpi = data["kpi"]
        check_kpi_recording(self.membership, kpi)
        with _confirm_hint():
            result = services.measurement_record(
                kpi=kpi,
                actor=request.user,
                period=data["period"],
                value=data["value"],
                note=data.get("note"),
                confirmed=data.get("confirm", False),
            )
        out = self.get_serializer(result.measurement)
        return Response(out.data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    def perform_update(self, serializer: MeasurementSerializer) -> None:
        measurement: Measurement = serializer.instance
        check_kpi_recording(self.membership, measurement.kpi)
        data = serializer.validated_data
        if "kpi" in data and data["kpi"].pk != measurement.kpi_id:
            raise ValidationError({"kpi": ["A measurement cannot move to another KPI."]})
        if "period" in data:
            start = measurement.kpi.period_of(data["period"], fiscal_year_start_month=self.org.fiscal_year_start_month)
            if start != measurement.period:
                raise ValidationError(
                    {"period": ["A measurement cannot move to another period; record that period instead."]}
                )
        with _confirm_hint():
            result = services.measurement_record(
                kpi=measurement.kpi,
                actor=self.request.user,
                period=measurement.period,
                value=data.get("value", measurement.value),
                note=data.get("note"),
                confirmed=data.get("confirm", False),
            )
        serializer.instance = result.measurement

    def perform_destroy(self, instance: Measurement) -> None:
        check_kpi_recording(self.membership, instance.kpi)
        services.measurement_delete(measurement=instance, actor=self.request.user)
