"""API resource ``scorecards/`` (DESIGN §6).

A scorecard carries its ``items`` and ``perspective_weights`` (writable) and its computed
``score``, ``status`` and ``perspectives`` (read-only, as of ``?as_of=`` or the newest
period with data). KPI, objective and scorecard ids in bodies are looked up in the
caller's organisation — and, for items, among the KPIs the scorecard's owner may hold:
anything else is a 404, like an id that does not exist.
"""

from __future__ import annotations

import builtins
from datetime import date
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.ids import parse_id
from kpis import periods
from kpis.models import Frequency, Perspective
from orgs import permissions
from orgs.api import OrgScopedPrimaryKeyField
from orgs.models import Team
from orgs.tenancy import OrgScopedViewSet
from scorecards import scoring, selectors, services
from scorecards.models import Scorecard

_WEIGHT_ERRORS = {
    "invalid": "A weight is a number, such as 1 or 2.5.",
    "min_value": "A weight cannot be negative.",
    "max_value": "A weight is at most 1000.",
}


def _weight(**kwargs: Any) -> serializers.FloatField:
    return serializers.FloatField(min_value=0, max_value=services.MAX_WEIGHT, error_messages=_WEIGHT_ERRORS, **kwargs)


class ItemSerializer(serializers.Serializer):
    kpi = serializers.IntegerField(help_text="A KPI of the organisation that the scorecard's owner may hold.")
    perspective = serializers.ChoiceField(choices=Perspective.choices, required=False, help_text="Default: the KPI's.")
    weight = _weight(required=False, default=1.0)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A PATCH makes DRF skip the required check and the defaults of nested rows too: an item
        # is whole whatever the method.
        if "kpi" not in attrs:
            raise ValidationError({"kpi": ["This field is required."]})
        attrs.setdefault("weight", 1.0)
        return attrs


class ItemsField(serializers.ListField):
    """The items, read from the computed view (no query per scorecard), written as a list."""

    child = ItemSerializer()

    def get_attribute(self, instance: Scorecard) -> list[dict[str, Any]]:
        view = self.parent._view(instance)  # type: ignore[attr-defined]
        return [
            {"kpi": iv.kpi.pk, "perspective": iv.item.perspective, "weight": iv.item.weight}
            for iv in sorted(view.items, key=lambda iv: (iv.item.position, iv.item.pk))
        ]


class PerspectiveWeightsSerializer(serializers.Serializer):
    financial = _weight(required=False)
    customer = _weight(required=False)
    internal_process = _weight(required=False)
    learning_growth = _weight(required=False)


class PerspectiveScoreSerializer(serializers.Serializer):
    perspective = serializers.ChoiceField(choices=Perspective.choices)
    weight = serializers.FloatField()
    score = serializers.FloatField(allow_null=True, help_text="Weighted mean achievement (0–1.5); null: no data yet.")
    status = serializers.ChoiceField(
        choices=["green", "amber", "red"],
        allow_null=True,
        help_text="null: no data yet, or provisional (its measured KPIs carry less than settled_at of its weight).",
    )
    provisional = serializers.BooleanField(
        help_text="True when the perspective's measured KPIs carry less than settled_at of its weight: no status."
    )


class NewerPeriodSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text="First day of the newer period.")
    score = serializers.FloatField(allow_null=True, help_text="Its overall score so far (0–1.5); it has no status.")
    measured = serializers.IntegerField(help_text="How many of the scorecard's KPIs have a value in it.")
    items = serializers.IntegerField(help_text="How many KPIs the scorecard has.")
    measured_share = serializers.FloatField(help_text="The share (0–1) of the scorecard's weight measured in it.")


def newer_period_row(view: selectors.ScorecardView) -> dict[str, Any] | None:
    """``newer_period`` of the API and the dashboard document: a newer period too thin to stand
    for the scorecard (``selectors.PeriodGlance``), or None."""
    newer = view.newer
    if newer is None:
        return None
    return {
        "as_of": newer.as_of,
        "score": newer.score,
        "measured": newer.measured_count,
        "items": newer.item_count,
        "measured_share": newer.measured_share,
    }


AS_OF_HELP = (
    "First day of the period the scores are for: the one containing ?as_of=, else the newest of the "
    "last 12 whose measured KPIs carry at least settled_at (60 % by default) of the scorecard's weight "
    "(else the newest with data, else the current one)."
)
STATUS_HELP = (
    "green, amber or red for the overall score; null: no data yet, or a provisional period (measured "
    "KPIs carry less than settled_at of the weight: see provisional)."
)
PROVISIONAL_HELP = (
    "True when the period's measured KPIs carry less than settled_at of the weight: its score has no status."
)
NEWER_HELP = (
    "A newer period with values for too few KPIs to be shown as the scorecard's (provisional, without "
    "a status); null when there is none or ?as_of= is given."
)


class ScorecardSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=200)
    owner_team = OrgScopedPrimaryKeyField(
        queryset=Team.objects.all(), allow_null=True, required=False, help_text="null: the company's scorecard."
    )
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False, help_text="The reporting period.")
    items = ItemsField(required=False, max_length=services.MAX_ITEMS)
    perspective_weights = PerspectiveWeightsSerializer(required=False)
    green_at = serializers.FloatField(
        required=False, min_value=0, max_value=1.5, help_text="A score at or above it is green (default 0.9)."
    )
    amber_at = serializers.FloatField(
        required=False, min_value=0, max_value=1.5, help_text="A score at or above it is amber (default 0.7)."
    )
    settled_at = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=1,
        help_text="A period counts once KPIs carrying this share of the weight have a value (default 0.6); "
        "a newer period with fewer is provisional (newer_period), a period asked for with fewer has no status.",
    )
    from_library = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="On create without items: start with every active KPI of the owner, in its own perspective.",
    )
    as_of = serializers.SerializerMethodField(help_text=AS_OF_HELP)
    score = serializers.SerializerMethodField(help_text="Overall score (0–1.5); null: no data yet.")
    status = serializers.SerializerMethodField(help_text=STATUS_HELP)
    perspectives = serializers.SerializerMethodField()
    measured_share = serializers.SerializerMethodField(
        help_text="The share (0–1) of the scorecard's weight whose KPIs have a value in the period."
    )
    provisional = serializers.SerializerMethodField(help_text=PROVISIONAL_HELP)
    newer_period = serializers.SerializerMethodField(help_text=NEWER_HELP)

    class Meta:
        model = Scorecard
        fields = [
            "id",
            "name",
            "owner_team",
            "frequency",
            "items",
            "perspective_weights",
            "green_at",
            "amber_at",
            "settled_at",
            "from_library",
            "as_of",
            "score",
            "status",
            "perspectives",
            "measured_share",
            "provisional",
            "newer_period",
        ]

    def _view(self, obj: Scorecard) -> selectors.ScorecardView:
        views = self.context.get("views") or {}
        view = views.get(obj.pk)
        if view is None:
            view = selectors.scorecard_view(scorecard=obj, org=self.context["org"], as_of=self.context.get("as_of"))
            views[obj.pk] = view
            self.context["views"] = views
        return view

    @extend_schema_field(OpenApiTypes.DATE)
    def get_as_of(self, obj: Scorecard) -> str:
        return self._view(obj).as_of.isoformat()

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_score(self, obj: Scorecard) -> float | None:
        return self._view(obj).score

    @extend_schema_field(serializers.ChoiceField(choices=["green", "amber", "red"], allow_null=True))
    def get_status(self, obj: Scorecard) -> str | None:
        return self._view(obj).status

    @extend_schema_field(PerspectiveScoreSerializer(many=True))
    def get_perspectives(self, obj: Scorecard) -> list[dict[str, Any]]:
        return self._view(obj).perspective_rows()

    @extend_schema_field(serializers.FloatField())
    def get_measured_share(self, obj: Scorecard) -> float:
        return self._view(obj).measured_share

    @extend_schema_field(serializers.BooleanField())
    def get_provisional(self, obj: Scorecard) -> bool:
        return self._view(obj).provisional

    @extend_schema_field(NewerPeriodSerializer(allow_null=True))
    def get_newer_period(self, obj: Scorecard) -> dict[str, Any] | None:
        row = newer_period_row(self._view(obj))
        return NewerPeriodSerializer(row).data if row is not None else None


class ScorecardUpdateSerializer(ScorecardSerializer):
    """On update the owner is fixed: the items were chosen for it."""

    owner_team = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="null: the company's scorecard. Fixed once created."
    )


_AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description="Scores for the period containing this day (default: the newest of the last 12 periods whose "
    "measured KPIs carry at least settled_at of the weight; a newer, thinner one is in newer_period).",
)


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("owner_team", str, description="A team id, or `null` for the company's."), _AS_OF]
    ),
    retrieve=extend_schema(parameters=[_AS_OF]),
)
class ScorecardViewSet(OrgScopedViewSet):
    """Balanced scorecards. ``items`` replaces the whole list when sent. Admins manage the
    company's scorecards, managers their teams'."""

    model = Scorecard
    serializer_class = ScorecardSerializer

    def get_serializer_class(self) -> type[ScorecardSerializer]:
        if self.action in ("update", "partial_update"):
            return ScorecardUpdateSerializer
        return ScorecardSerializer

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        qs = qs.select_related("owner_team").order_by("name", "id")
        owner = self.request.query_params.get("owner_team")
        if owner == "null":
            qs = qs.filter(owner_team__isnull=True)
        elif owner not in (None, ""):
            team_id = parse_id(owner)
            if team_id is None:
                raise ValidationError({"owner_team": ["Expected a team id or null."]})
            qs = qs.filter(owner_team_id=team_id)
        return qs

    def _as_of(self) -> date | None:
        raw = self.request.query_params.get("as_of")
        if raw in (None, ""):
            return None
        try:
            day = periods.parse_period(raw)
        except ValueError:
            raise ValidationError({"as_of": ["Expected a date as YYYY-MM-DD."]}) from None
        if not periods.is_report_day(day):
            first, last = periods.EARLIEST.isoformat(), periods.LAST_REPORT_DAY.isoformat()
            raise ValidationError({"as_of": [f"{day.isoformat()} is out of range: pick a day from {first} to {last}."]})
        return day

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and hasattr(self, "org"):
            context["as_of"] = self._as_of()
        return context

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Scores of a whole page in a fixed number of queries (not one computation per row)."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        cards = list(page) if page is not None else list(self.get_queryset())
        context = self.get_serializer_context()
        context["views"] = {
            r.scorecard.pk: r.view for r in selectors.scorecard_rows(org=self.org, cards=cards, as_of=context["as_of"])
        }
        data = ScorecardSerializer(cards, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def _items(
        self, raw: builtins.list[dict[str, Any]], *, owner_team_id: int | None
    ) -> builtins.list[services.ItemSpec]:
        eligible = {
            k.pk: k
            for k in selectors.eligible_kpis(org=self.org, owner_team_id=owner_team_id).filter(
                pk__in=[r["kpi"] for r in raw if parse_id(r["kpi"])]  # an id the database cannot hold is not found
            )
        }
        specs = []
        for row in raw:
            kpi = eligible.get(row["kpi"])
            if kpi is None:
                raise NotFound(f"KPI {row['kpi']} not found among the KPIs this scorecard's owner may hold.")
            specs.append(
                services.ItemSpec(kpi=kpi, perspective=row.get("perspective") or kpi.perspective, weight=row["weight"])
            )
        return specs

    def perform_create(self, serializer: ScorecardSerializer) -> None:
        data = serializer.validated_data
        team = data.get("owner_team")
        if not (permissions.can_write(self.membership) and permissions.can_manage_team(self.membership, team)):
            raise PermissionDenied("Admins create the company's scorecards, managers their teams'.")
        items = self._items(data["items"], owner_team_id=team.pk if team else None) if "items" in data else None
        scorecard = services.scorecard_create(
            org=self.org,
            actor=self.request.user,
            name=data["name"],
            owner_team=team,
            frequency=data.get("frequency", Frequency.MONTHLY),
            perspective_weights=data.get("perspective_weights") or {},
            green_at=data.get("green_at", scoring.DEFAULT_GREEN_AT),
            amber_at=data.get("amber_at", scoring.DEFAULT_AMBER_AT),
            settled_at=data.get("settled_at", scoring.DEFAULT_SETTLED_SHARE),
            from_library=bool(data.get("from_library")) and items is None,
        )
        if items is not None:
            services.scorecard_items_set(scorecard=scorecard, actor=self.request.user, items=items)
        serializer.instance = scorecard

    def perform_update(self, serializer: ScorecardSerializer) -> None:
        scorecard: Scorecard = serializer.instance
        if not scorecard.editable_by(self.membership):
            raise PermissionDenied("Only admins, and managers of the owning team, change this scorecard.")
        data = serializer.validated_data
        posted = self.request.data
        if isinstance(posted, dict) and "owner_team" in posted and posted["owner_team"] != scorecard.owner_team_id:
            raise ValidationError({"owner_team": ["A scorecard's owner cannot change; create another scorecard."]})
        items = self._items(data["items"], owner_team_id=scorecard.owner_team_id) if "items" in data else None
        scorecard = services.scorecard_update(
            scorecard=scorecard,
            actor=self.request.user,
            name=data.get("name"),
            frequency=data.get("frequency"),
            perspective_weights=data.get("perspective_weights"),
            green_at=data.get("green_at"),
            amber_at=data.get("amber_at"),
            settled_at=data.get("settled_at"),
        )
        if items is not None:
            services.scorecard_items_set(scorecard=scorecard, actor=self.request.user, items=items)
        serializer.instance = self.get_queryset().get(pk=scorecard.pk)

    def perform_destroy(self, instance: Scorecard) -> None:
        if not instance.editable_by(self.membership):
            raise PermissionDenied("Only admins, and managers of the owning team, delete this scorecard.")
        services.scorecard_delete(scorecard=instance, actor=self.request.user)
