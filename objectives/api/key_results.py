"""API resource ``key-results/``."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import serializers

from kpis.models import Kpi
from objectives import services
from objectives.access import check_objective_edit
from objectives.api._common import _int_param
from objectives.models import KeyResult, KeyResultKind, Objective
from orgs.api import OrgScopedPrimaryKeyField, OrgUserField
from orgs.tenancy import OrgScopedViewSet


class KeyResultSerializer(serializers.ModelSerializer):
    objective = OrgScopedPrimaryKeyField(queryset=Objective.objects.all())
    owner = OrgUserField(required=False)
    kind = serializers.ChoiceField(choices=KeyResultKind.choices, required=False, default=KeyResultKind.NUMBER)
    unit = serializers.CharField(max_length=24, required=False, allow_blank=True, default="")
    start_value = serializers.FloatField(required=False, default=0.0)
    target_value = serializers.FloatField(required=False)
    current_value = serializers.FloatField(read_only=True, help_text="Set by check-ins.")
    weight = serializers.FloatField(min_value=0, max_value=1000, required=False, default=1.0)
    progress = serializers.FloatField(read_only=True)
    confidence = serializers.IntegerField(read_only=True, allow_null=True)
    kpi = OrgScopedPrimaryKeyField(
        queryset=Kpi.objects.all(),
        allow_null=True,
        required=False,
        help_text="The KPI whose latest measurement sets current_value (null when none).",
    )
    grade = serializers.FloatField(
        read_only=True, allow_null=True, help_text="End-of-cycle grade (0–1); set with POST key-results/<id>/grade/."
    )
    grade_note = serializers.CharField(read_only=True)
    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Why: required when a new key result, target, start value or weight sends an approved "
        "objective back to review (for a DELETE, ?reason=).",
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Send back the version you read with a change: if someone saved since, the answer is 409 "
        "and nothing is written. Every change of the definition adds one.",
    )

    class Meta:
        model = KeyResult
        fields = [
            "id",
            "objective",
            "title",
            "owner",
            "kind",
            "unit",
            "start_value",
            "target_value",
            "current_value",
            "weight",
            "progress",
            "confidence",
            "kpi",
            "grade",
            "grade_note",
            "version",
            "reason",
        ]


class KeyResultViewSet(OrgScopedViewSet):
    """Filters: ``?objective=``, ``?owner=``, ``?cycle=``."""

    model = KeyResult
    serializer_class = KeyResultSerializer
    versioned = True

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        qs = qs.select_related("objective").order_by("objective_id", "position", "id")
        for name, field in (("objective", "objective_id"), ("owner", "owner_id"), ("cycle", "objective__cycle_id")):
            value = _int_param(self.request, name)
            if value is not None:
                qs = qs.filter(**{field: value})
        return qs

    def perform_create(self, serializer: KeyResultSerializer) -> None:
        data = serializer.validated_data
        objective = data["objective"]
        check_objective_edit(self.membership, objective)
        serializer.instance = services.key_result_create(
            objective=objective,
            actor=self.request.user,
            title=data["title"],
            owner=data.get("owner"),
            kind=data.get("kind", KeyResultKind.NUMBER),
            unit=data.get("unit", ""),
            start_value=data.get("start_value", 0.0),
            target_value=data.get("target_value"),
            weight=data.get("weight", 1.0),
            kpi=data.get("kpi"),
            reason=data.get("reason"),
        )

    def perform_update(self, serializer: KeyResultSerializer) -> None:
        kr: KeyResult = serializer.instance
        check_objective_edit(self.membership, kr.objective)
        data = dict(serializer.validated_data)
        if "objective" in data and data["objective"].pk != kr.objective_id:
            raise serializers.ValidationError({"objective": "A key result cannot move to another objective."})
        kwargs = {
            k: data[k]
            for k in ("title", "owner", "kind", "unit", "start_value", "target_value", "weight", "kpi")
            if k in data
        }
        serializer.instance = services.key_result_update(
            key_result=kr,
            actor=self.request.user,
            expected_version=data.get("version"),
            reason=data.get("reason"),
            **kwargs,
        )

    def perform_destroy(self, instance: KeyResult) -> None:
        check_objective_edit(self.membership, instance.objective)
        reason = self.request.query_params.get("reason") or self.request.data.get("reason")
        services.key_result_delete(key_result=instance, actor=self.request.user, reason=reason)
