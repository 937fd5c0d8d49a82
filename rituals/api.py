"""API of the quarter's ritual: the quality coach, grades, retrospectives and their review,
carry-over. Closing and re-opening a cycle are on ``cycles/`` (``POST cycles/<id>/close/``,
``PATCH cycles/<id>/`` with ``status: active``)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from cycles.models import Cycle, CycleKind, CycleStatus
from objectives.models import KeyResult, Objective, Retrospective
from orgs.api import OrgScopedPrimaryKeyField
from orgs.tenancy import OrgScopedAPIView, scoped, visible
from rituals import quality, review, services
from rituals.coach import RULES, SEVERITIES
from rituals.services.grades import can_grade
from rituals.services.retrospectives import can_review


class _RitualView(OrgScopedAPIView):
    """An endpoint that is not a model resource; ``serializer_class`` describes its request body
    (the isolation matrix reads it to aim ids of another organisation at it)."""

    serializer_class: type[serializers.Serializer] | None = None

    def _require_allowed(self, data: dict[str, Any]) -> None:
        """Advice is dismissed (or the dismissal undone) only by someone who may edit its object."""
        if not services.coach_dismissal_allowed(
            membership=self.membership, object_type=data["object_type"], object_id=data["object_id"]
        ):
            raise PermissionDenied("Only those who may edit it can dismiss advice on it, or undo that.")

    def get_serializer_class(self) -> type[serializers.Serializer] | None:
        return self.serializer_class


# --- the coach -----------------------------------------------------------------------------

COACH_OBJECT_TYPES = ["objective", "key_result", "kpi", "owner"]


class FindingObjectSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=COACH_OBJECT_TYPES)
    id = serializers.CharField(allow_null=True, help_text="The object's id; owners are 'team:<id>' or 'person:<id>'.")
    label = serializers.CharField()


class FindingSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=sorted(RULES))
    severity = serializers.ChoiceField(choices=list(SEVERITIES))
    message = serializers.CharField(help_text="In the caller's language.")
    hint = serializers.CharField(help_text="How to fix it.")
    object = FindingObjectSerializer()
    dismissed = serializers.BooleanField(help_text="Dismissed findings do not count in the score.")
    dismissal_reason = serializers.CharField(allow_blank=True)


class QualitySerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=0, max_value=100)
    findings = FindingSerializer(many=True)


def _quality_body(report: quality.QualityReport) -> dict[str, Any]:
    rows = report.as_list()
    for row in rows:
        row["object"]["id"] = None if row["object"]["id"] is None else str(row["object"]["id"])
    return {"score": report.score, "findings": rows}


class ObjectiveQualityView(_RitualView):
    @extend_schema(responses=QualitySerializer, description="The coach's findings on one objective and its score.")
    def get(self, request: Request, slug: str, objective_id: int) -> Response:
        objective = visible(Objective, self.membership).filter(pk=objective_id).first()
        if objective is None:
            raise Http404
        return Response(_quality_body(quality.objective_quality(org=self.org, objective=objective)))


class QualityQuerySerializer(serializers.Serializer):
    cycle = serializers.IntegerField(required=False, help_text="The cycle's id; without it, the KPI library.")


class QualityView(_RitualView):
    @extend_schema(
        parameters=[QualityQuerySerializer],
        responses=QualitySerializer,
        description="With ?cycle=<id>: the cycle's findings (every objective and the cycle-wide rules) "
        "and its score. Without: the KPI library's.",
    )
    def get(self, request: Request, slug: str) -> Response:
        query = QualityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cycle_id = query.validated_data.get("cycle")
        if cycle_id is None:
            return Response(_quality_body(quality.kpi_library_quality(org=self.org)))
        cycle = scoped(Cycle, self.org).filter(pk=cycle_id).first()
        if cycle is None:
            raise serializers.ValidationError({"cycle": "Unknown cycle."})
        return Response(_quality_body(quality.cycle_quality(org=self.org, cycle=cycle)))


class DismissalSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=sorted(RULES))
    object_type = serializers.ChoiceField(choices=COACH_OBJECT_TYPES)
    object_id = serializers.CharField(max_length=40)
    reason = serializers.CharField(max_length=1000)


class DismissalView(_RitualView):
    serializer_class = DismissalSerializer

    @extend_schema(request=DismissalSerializer, responses={201: DismissalSerializer})
    def post(self, request: Request, slug: str) -> Response:
        """Dismiss one finding with a reason (logged); the scores leave it out."""
        data = DismissalSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        self._require_allowed(data.validated_data)
        d = services.coach_dismiss(org=self.org, actor=request.user, **data.validated_data)
        return Response(
            {"code": d.code, "object_type": d.object_type, "object_id": d.object_id, "reason": d.reason}, status=201
        )


class DismissalUndoSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=sorted(RULES))
    object_type = serializers.ChoiceField(choices=COACH_OBJECT_TYPES)
    object_id = serializers.CharField(max_length=40)


class DismissalUndoView(_RitualView):
    serializer_class = DismissalUndoSerializer

    @extend_schema(request=DismissalUndoSerializer, responses=DismissalSerializer)
    def post(self, request: Request, slug: str) -> Response:
        """Undo a dismissal (logged): the finding counts in the scores again. Answers with the
        dismissal that was undone; 400 when the finding is not dismissed."""
        data = DismissalUndoSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        self._require_allowed(data.validated_data)
        reason = services.coach_undismiss(org=self.org, actor=request.user, **data.validated_data)
        return Response({**data.validated_data, "reason": reason})


# --- grades, retrospectives, carry-over -------------------------------------------------------


class GradeSerializer(serializers.Serializer):
    grade = serializers.JSONField(help_text="A number from 0.0 to 1.0.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class GradeOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    grade = serializers.FloatField(allow_null=True)
    grade_note = serializers.CharField(allow_blank=True)
    suggested_grade = serializers.FloatField()


def _grade_body(kr: KeyResult) -> dict[str, Any]:
    return {"id": kr.pk, "grade": kr.grade, "grade_note": kr.grade_note, "suggested_grade": kr.suggested_grade()}


class KeyResultGradeView(_RitualView):
    serializer_class = GradeSerializer

    @extend_schema(request=GradeSerializer, responses=GradeOutSerializer)
    def post(self, request: Request, slug: str, kr_id: int) -> Response:
        """Grade a key result while its cycle is being closed. A grade that differs from the suggested
        one (clamped progress rounded to 0.1) needs a note when the organisation asks for one."""
        kr = visible(KeyResult, self.membership).select_related("objective__cycle").filter(pk=kr_id).first()
        if kr is None:
            raise Http404
        if not can_grade(self.membership, kr):
            raise PermissionDenied("Only the key result's owner or a manager grades it.")
        data = GradeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kr = services.key_result_grade(
            key_result=kr, actor=request.user, grade=data.validated_data["grade"], note=data.validated_data["note"]
        )
        return Response(_grade_body(kr))


class RetrospectiveSerializer(serializers.Serializer):
    went_well = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    went_badly = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    learned = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    reviewer_comment = serializers.CharField(read_only=True)
    acknowledged = serializers.BooleanField(read_only=True)
    acknowledged_by = serializers.IntegerField(read_only=True, allow_null=True)
    acknowledged_at = serializers.DateTimeField(read_only=True, allow_null=True)


def _retro_body(retro: Retrospective | None) -> dict[str, Any]:
    if retro is None:
        return {
            "went_well": "",
            "went_badly": "",
            "learned": "",
            "reviewer_comment": "",
            "acknowledged": False,
            "acknowledged_by": None,
            "acknowledged_at": None,
        }
    return {
        "went_well": retro.went_well,
        "went_badly": retro.went_badly,
        "learned": retro.learned,
        "reviewer_comment": retro.reviewer_comment,
        "acknowledged": retro.is_acknowledged,
        "acknowledged_by": retro.acknowledged_by_id,
        "acknowledged_at": retro.acknowledged_at.isoformat() if retro.acknowledged_at else None,
    }


class _ObjectiveMixin:
    org: Any

    def _objective(self, pk: int) -> Objective:
        objective = visible(Objective, self.membership).select_related("cycle").filter(pk=pk).first()
        if objective is None:
            raise Http404
        return objective


class RetrospectiveView(_ObjectiveMixin, _RitualView):
    serializer_class = RetrospectiveSerializer

    @extend_schema(responses=RetrospectiveSerializer)
    def get(self, request: Request, slug: str, objective_id: int) -> Response:
        objective = self._objective(objective_id)
        return Response(_retro_body(Retrospective.objects.filter(objective=objective).first()))

    @extend_schema(request=RetrospectiveSerializer, responses=RetrospectiveSerializer)
    def post(self, request: Request, slug: str, objective_id: int) -> Response:
        """Write the retrospective (the objective's editors). A change needs a fresh acknowledgement."""
        objective = self._objective(objective_id)
        if not objective.editable_by(self.membership):
            raise PermissionDenied("Only the objective's owner writes its retrospective.")
        data = RetrospectiveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        retro = services.retrospective_save(objective=objective, actor=request.user, **data.validated_data)
        return Response(_retro_body(retro))


class ReviewSerializer(serializers.Serializer):
    acknowledge = serializers.BooleanField(default=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class RetrospectiveReviewView(_ObjectiveMixin, _RitualView):
    serializer_class = ReviewSerializer

    @extend_schema(request=ReviewSerializer, responses=RetrospectiveSerializer)
    def post(self, request: Request, slug: str, objective_id: int) -> Response:
        """The reviewer (the owner's manager; an admin for company objectives) acknowledges the
        retrospective, or comments without acknowledging."""
        objective = self._objective(objective_id)
        if not can_review(self.membership, objective):
            raise PermissionDenied("Only the owner's manager (an admin for company objectives) reviews it.")
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        retro = services.retrospective_review(objective=objective, actor=request.user, **data.validated_data)
        return Response(_retro_body(retro))


class CarryOverSerializer(serializers.Serializer):
    objectives = OrgScopedPrimaryKeyField(
        queryset=Objective.objects.all(), many=True, error_messages={"does_not_exist": "Unknown objective {pk_value}."}
    )
    key_results = OrgScopedPrimaryKeyField(
        queryset=KeyResult.objects.all(),
        many=True,
        error_messages={"does_not_exist": "Unknown key result {pk_value}."},
        required=False,
        allow_null=True,
        default=None,
        help_text="Key results to copy; omitted or null copies all of them.",
    )
    cycle = OrgScopedPrimaryKeyField(
        queryset=Cycle.objects.all(),
        allow_null=True,
        error_messages={"does_not_exist": "Unknown cycle {pk_value}."},
        help_text="An open cycle's id, or null for the backlog.",
    )

    def validate_objectives(self, value: list[Objective]) -> list[Objective]:
        if not value:
            raise serializers.ValidationError("Choose at least one objective to carry over.")
        if len(value) > 200:
            raise serializers.ValidationError("Carry over at most 200 objectives at a time.")
        return value


class CarriedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    cycle = serializers.IntegerField(allow_null=True)
    carried_from = serializers.IntegerField()


class CarryOverView(_RitualView):
    serializer_class = CarryOverSerializer

    @extend_schema(request=CarryOverSerializer, responses={201: CarriedSerializer(many=True)})
    def post(self, request: Request, slug: str) -> Response:
        """Copy objectives (and chosen key results) into an open cycle or the backlog, as drafts
        linked to their origin. All or nothing."""
        data = CarryOverSerializer(data=request.data, context={"org": self.org})
        data.is_valid(raise_exception=True)
        objectives = list(dict.fromkeys(data.validated_data["objectives"]))
        for o in objectives:
            if not o.editable_by(self.membership):
                raise PermissionDenied(f"You cannot carry over objective {o.pk}.")
        chosen = data.validated_data["key_results"]
        copies = services.objectives_carry_over(
            org=self.org,
            actor=request.user,
            objectives=objectives,
            key_result_ids=None if chosen is None else [kr.pk for kr in chosen],
            target=data.validated_data["cycle"],
        )
        return Response(
            [{"id": c.pk, "title": c.title, "cycle": c.cycle_id, "carried_from": c.carried_from_id} for c in copies],
            status=201,
        )


# --- quarter statistics ---------------------------------------------------------------------


class _BandsSerializer(serializers.Serializer):
    low = serializers.IntegerField(help_text="Grades below 0.35 (the red 0.0–0.3).")
    mid = serializers.IntegerField(help_text="Grades from 0.35 to below 0.65 (the amber 0.4–0.6).")
    high = serializers.IntegerField(help_text="Grades from 0.65 (the green 0.7–1.0).")


class _GradeGroupSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="In the caller's language.")
    count = serializers.IntegerField(help_text="Graded objectives in the group.")
    mean = serializers.FloatField(allow_null=True, help_text="Their mean grade, rounded to 0.01.")
    bands = _BandsSerializer()


class _TypeGroupSerializer(_GradeGroupSerializer):
    type = serializers.ChoiceField(choices=["committed", "aspirational"], source="key")


class _NeverCheckedInSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    objective = serializers.IntegerField(source="objective_id")
    owner = serializers.IntegerField(source="owner_id")


class _StatsCycleSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=CycleKind.choices)
    status = serializers.ChoiceField(choices=CycleStatus.choices)
    start_date = serializers.DateField()
    end_date = serializers.DateField()


class _CycleFiguresSerializer(serializers.Serializer):
    cycle = _StatsCycleSerializer()
    objectives = serializers.IntegerField(
        help_text="Graded objectives (cancelled ones and those without key results aside)."
    )
    achieved = serializers.IntegerField(
        help_text="Objectives that met their type's bar: 1.0 committed, 0.7 aspirational."
    )
    not_achieved = serializers.IntegerField()
    achieved_share = serializers.FloatField(
        allow_null=True, help_text="achieved / objectives; null without objectives."
    )
    mean_grade = serializers.FloatField(allow_null=True)
    by_team = _GradeGroupSerializer(
        many=True, help_text="Grade distribution per owning team (company, team, person's team)."
    )
    by_type = _TypeGroupSerializer(
        many=True, help_text="Grade distribution per type; types without objectives left out."
    )
    never_checked_in = _NeverCheckedInSerializer(
        many=True, help_text="Key results nobody ever checked in (those following a KPI aside)."
    )


class CycleStatisticsSerializer(_CycleFiguresSerializer):
    previous = _CycleFiguresSerializer(
        allow_null=True, help_text="The same figures for the previous cycle of the same kind; null when none."
    )


class CycleStatisticsView(_RitualView):
    @extend_schema(
        responses=CycleStatisticsSerializer,
        description="The quarter statistics of the cycle's report page, from the same selector: objectives "
        "achieved vs not, the grade distribution per team and per type, key results never checked in, and the "
        "previous cycle for comparison. Before the close, grades are the suggested ones (progress rounded to 0.1).",
    )
    def get(self, request: Request, slug: str, cycle_id: int) -> Response:
        cycle = scoped(Cycle, self.org).filter(pk=cycle_id).first()
        if cycle is None:
            raise Http404
        stats = review.cycle_statistics(org=self.org, cycle=cycle)
        return Response(CycleStatisticsSerializer(stats).data)
