"""The executive API documents: the cascade and the dashboard (DESIGN §6)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from cycles.models import Cycle, CycleStatus
from cycles.selectors import cycle_list
from kpis import periods
from kpis.models import Perspective
from objectives.restricted import hidden_objectives
from orgs.models import Organization
from orgs.tenancy import OrgScopedAPIView, scoped
from scorecards.api.cascade_schema import CascadeSerializer
from scorecards.api.scorecards import (
    AS_OF_HELP,
    NEWER_HELP,
    PROVISIONAL_HELP,
    STATUS_HELP,
    NewerPeriodSerializer,
    PerspectiveScoreSerializer,
    newer_period_row,
)
from scorecards.cascade import cascade, for_reader
from scorecards.dashboard import build_dashboard, pick_cycle, since_default
from scorecards.dashboard.restricted import for_reader as dashboard_for_reader
from scorecards.dashboard.restricted import reader_part
from scorecards.documents import cached_document, cached_json, document_key, etag_matches
from scorecards.selectors import company_scorecard_summary


def _on_the_calendar(value: date | None) -> None:
    """Refuses a day before ``periods.EARLIEST``: the week before it must still be a date."""
    if value is not None and value < periods.EARLIEST:
        raise serializers.ValidationError(f"Pick a day from {periods.EARLIEST.isoformat()} on.")


class _AsOfMixin(serializers.Serializer):
    as_of = serializers.DateField(
        required=False,
        help_text="Answer as of the end of that day, from the daily snapshots (today or a past day; "
        "omit for now). Before the cycle's first snapshot the document is empty.",
    )

    def validate_as_of(self, value: Any) -> Any:
        org: Organization = self.context["org"]
        _on_the_calendar(value)
        if value is not None and value > org.today():
            raise serializers.ValidationError("Pick today or a day in the past: there is no record of the future yet.")
        return None if value == org.today() else value


class CascadeQuerySerializer(_AsOfMixin):
    cycle = serializers.IntegerField(help_text="The cycle's id.")


class CascadeView(OrgScopedAPIView):
    """The rolled-up tree of a cycle: company progress, aligned objectives, teams."""

    @extend_schema(
        parameters=[CascadeQuerySerializer],
        responses={200: CascadeSerializer},
        description="DESIGN §6 cascade document: `{cycle, as_of, closed, before_first_snapshot, progress, expected, "
        "objectives: [node], teams: [team], owner_names: {teams: {id: name}, people: {id: name}}}`, a node "
        "being `{id, title, owner_type, owner_team, owner_user, progress, health, grade, key_results: "
        "[{id, title, progress}], children: [node]}`. A closed cycle, live (`closed`), has no health: its "
        "graded objectives have `grade: {value, achieved}` (null otherwise). With `as_of`, "
        "objectives and teams come from their latest snapshot on or before that day and key results from their "
        "last check-in by its end.",
    )
    def get(self, request: Any, slug: str) -> HttpResponse:
        query = CascadeQuerySerializer(data=request.query_params, context={"org": self.org})
        query.is_valid(raise_exception=True)
        cycle = scoped(Cycle, self.org).filter(pk=query.validated_data["cycle"]).first()
        if cycle is None:
            raise serializers.ValidationError({"cycle": "Unknown cycle."})
        as_of = query.validated_data.get("as_of")
        hidden = sorted(hidden_objectives(self.membership, cycle_id=cycle.pk))
        if not hidden:
            return json_document(
                request,
                document_key("cascade", self.org, cycle.pk, as_of),
                lambda: cascade(org=self.org, cycle=cycle, as_of=as_of),
            )
        # What this reader may not see is part of the key: readers who see less share theirs.
        whole = document_key("cascade-whole", self.org, cycle.pk, as_of)
        return json_document(
            request,
            document_key("cascade", self.org, cycle.pk, as_of, self.org.restricted_display, *hidden),
            lambda: for_reader(
                cached_document(whole, lambda: cascade(org=self.org, cycle=cycle, as_of=as_of)), self.membership
            ),
        )


def json_document(request: Any, key: str, build: Any) -> HttpResponse:
    """A cached JSON document with its ETag; 304 when the client already has it."""
    headers = {"ETag": f'"{key}"', "Cache-Control": "private, no-cache"}
    if etag_matches(request.headers.get("If-None-Match"), key):
        return HttpResponse(status=304, headers=headers)
    return HttpResponse(cached_json(key, build), content_type="application/json", headers=headers)


# --- the dashboard ------------------------------------------------------------------------------------


class DashboardQuerySerializer(_AsOfMixin):
    cycle = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The cycle's id (default: the active cycle that started last, else the one closed last, "
        "else the next planning one).",
    )
    since = serializers.DateField(
        required=False, help_text="Movers compare the day shown with this day (default: a week before it)."
    )

    def validate_since(self, value: Any) -> Any:
        _on_the_calendar(value)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, day = attrs.get("since"), attrs.get("as_of") or self.context["org"].today()
        if since is not None and since >= day:
            raise serializers.ValidationError({"since": f"Pick a day before the day shown ({day.isoformat()})."})
        return attrs


class _CycleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    status = serializers.ChoiceField(choices=CycleStatus.choices)


class _ClosedSerializer(serializers.Serializer):
    closed_on = serializers.DateField(help_text="The day the cycle was closed, in the organisation's time zone.")
    objectives = serializers.IntegerField(help_text="Graded objectives (those without key results aside).")
    achieved = serializers.IntegerField(
        help_text="Objectives that met their type's bar: 1.0 committed, 0.7 aspirational."
    )
    not_achieved = serializers.IntegerField()
    mean_grade = serializers.FloatField(allow_null=True, help_text="Their mean grade, rounded to 0.01.")


class _PointSerializer(serializers.Serializer):
    date = serializers.DateField()
    progress = serializers.FloatField(allow_null=True, help_text="Company progress that day (0–1).")
    expected = serializers.FloatField(help_text="Elapsed share of the cycle that day (0–1).")


class _HealthSerializer(serializers.Serializer):
    on_track = serializers.IntegerField()
    at_risk = serializers.IntegerField()
    off_track = serializers.IntegerField()


class _TeamSerializer(_HealthSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True)
    depth = serializers.IntegerField(help_text="0 for top-level teams.")
    progress = serializers.FloatField(allow_null=True, help_text="Mean progress of the team's own objectives.")
    subtree_progress = serializers.FloatField(
        allow_null=True, help_text="Mean progress of the team's, its sub-teams' and their people's objectives."
    )
    objectives = serializers.IntegerField(help_text="Objectives in the subtree; the health counts are theirs.")


class _MoverSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["objective", "key_result"])
    id = serializers.IntegerField()
    title = serializers.CharField()
    objective = serializers.IntegerField(help_text="The objective (itself, or the key result's).")
    before = serializers.FloatField()
    after = serializers.FloatField()
    change = serializers.FloatField(help_text="after − before, in [−1, 1].")


class _MoversSerializer(serializers.Serializer):
    up = _MoverSerializer(many=True)
    down = _MoverSerializer(many=True)


class _AttentionObjectiveSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    health = serializers.ChoiceField(choices=["at_risk", "off_track"])
    progress = serializers.FloatField()
    owner_type = serializers.CharField()
    owner_team = serializers.IntegerField(allow_null=True)
    owner_user = serializers.IntegerField(allow_null=True)
    owner_name = serializers.CharField(allow_null=True)


class _StaleKeyResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    objective = serializers.IntegerField()
    objective_title = serializers.CharField()
    owner = serializers.IntegerField()
    last_check_in = serializers.DateField(allow_null=True)
    days = serializers.IntegerField(allow_null=True, help_text="Days since the last check-in; null: never.")


class _KpiItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    perspective = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)


class _RedKpiSerializer(_KpiItemSerializer):
    value = serializers.FloatField()
    period = serializers.DateField()


class _OverdueSerializer(_KpiItemSerializer):
    period = serializers.DateField(help_text="The first day of the period with no value.")
    frequency = serializers.CharField()


class _AttentionSerializer(serializers.Serializer):
    objectives = _AttentionObjectiveSerializer(many=True, help_text="Off track first, then at risk (first 10).")
    objectives_count = serializers.IntegerField()
    stale_key_results = _StaleKeyResultSerializer(many=True, help_text="No check-in for 14 days or more (first 10).")
    stale_key_results_count = serializers.IntegerField()
    red_kpis = _RedKpiSerializer(many=True)
    red_kpis_count = serializers.IntegerField()
    overdue_measurements = _OverdueSerializer(many=True)
    overdue_measurements_count = serializers.IntegerField()


class _KpiStatusSerializer(serializers.Serializer):
    green = serializers.IntegerField()
    amber = serializers.IntegerField()
    red = serializers.IntegerField()
    none = serializers.IntegerField(help_text="KPIs without a measurement yet.")


class _PerspectiveSerializer(_KpiStatusSerializer):
    perspective = serializers.ChoiceField(choices=Perspective.choices)  # the KPIs' own enum in the schema


class _KpiTotalsSerializer(_KpiStatusSerializer):
    count = serializers.IntegerField()


class _CompanyScorecardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    as_of = serializers.DateField(help_text=AS_OF_HELP)
    score = serializers.FloatField(allow_null=True, help_text="Overall score (0–1.5); null: no data yet.")
    status = serializers.ChoiceField(choices=["green", "amber", "red"], allow_null=True, help_text=STATUS_HELP)
    perspectives = PerspectiveScoreSerializer(many=True)
    measured_share = serializers.FloatField(
        help_text="The share (0–1) of the scorecard's weight whose KPIs have a value in the period."
    )
    provisional = serializers.BooleanField(help_text=PROVISIONAL_HELP)
    newer_period = NewerPeriodSerializer(allow_null=True, help_text=NEWER_HELP)


def company_scorecard_row(*, org: Organization, as_of: date | None) -> dict[str, Any] | None:
    """The company scorecard's scores for the dashboard document (two queries), or None."""
    view = company_scorecard_summary(org=org, as_of=as_of)
    if view is None:
        return None
    return {
        "id": view.scorecard.pk,
        "name": view.scorecard.name,
        "as_of": view.as_of,
        "score": view.score,
        "status": view.status,
        "perspectives": view.perspective_rows(),
        "measured_share": view.measured_share,
        "provisional": view.provisional,
        "newer_period": newer_period_row(view),
    }


class DashboardSerializer(serializers.Serializer):
    cycle = _CycleSerializer()
    closed = _ClosedSerializer(
        allow_null=True,
        help_text="A closed cycle shown live: its results (then health counts are zero and no check-in is "
        "stale: a closed cycle is graded, not tracked). Null otherwise.",
    )
    as_of = serializers.DateField(allow_null=True)
    since = serializers.DateField()
    day = serializers.DateField(help_text="The day the figures are for (as_of, or today).")
    before_first_snapshot = serializers.BooleanField(
        help_text="True when as_of is before the cycle's first snapshot: there are no figures for that day."
    )
    company_progress = serializers.FloatField(allow_null=True)
    expected = serializers.FloatField()
    objective_count = serializers.IntegerField()
    health = _HealthSerializer()
    series = _PointSerializer(many=True, help_text="Company progress per snapshot day (and today, live).")
    teams = _TeamSerializer(many=True, help_text="Every team in tree order.")
    movers = _MoversSerializer()
    needs_attention = _AttentionSerializer()
    kpis = _PerspectiveSerializer(many=True, help_text="KPI status by perspective.")
    kpi_totals = _KpiTotalsSerializer()
    company_scorecard = _CompanyScorecardSerializer(
        allow_null=True,
        help_text="The company scorecard's scores per perspective and overall, for the period containing "
        "as_of (default: its newest period whose measured KPIs carry at least its settled_at share of its "
        "weight, a newer thinner one in newer_period); null when the organisation has none.",
    )


class DashboardView(OrgScopedAPIView):
    """The executive dashboard's figures for a cycle, live or as of a day."""

    @extend_schema(
        parameters=[DashboardQuerySerializer],
        responses={200: DashboardSerializer},
        description="Company progress and the expected pace (with the daily series), health counts per team, "
        "movers since a day, what needs attention, KPI status by perspective and the company scorecard's "
        "perspective scores. 404 when the organisation "
        "has no cycle yet.",
    )
    def get(self, request: Any, slug: str) -> HttpResponse:
        query = DashboardQuerySerializer(data=request.query_params, context={"org": self.org})
        query.is_valid(raise_exception=True)
        data = query.validated_data
        cycles = list(cycle_list(org=self.org))
        cycle = pick_cycle(cycles, data.get("cycle"))
        if cycle is None:
            if data.get("cycle"):
                raise serializers.ValidationError({"cycle": "Unknown cycle."})
            raise NotFound("This organisation has no cycle yet.")
        as_of = data.get("as_of")
        since = data.get("since") or since_default(org=self.org, as_of=as_of)
        m = self.membership
        return json_document(
            request,
            document_key("dashboard", self.org, cycle.pk, as_of, since, *reader_part(m, cycle.pk)),
            lambda: (
                DashboardSerializer(
                    dashboard_for_reader(build_dashboard(org=self.org, cycle=cycle, as_of=as_of, since=since), m)
                    | {"company_scorecard": company_scorecard_row(org=self.org, as_of=as_of)}
                ).data
            ),
        )
