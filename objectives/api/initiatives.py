"""API resource ``initiatives/``."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import serializers

from objectives import services
from objectives.access import check_initiative_edit, check_objective_edit
from objectives.api._common import _int_param
from objectives.models import Initiative, InitiativeStatus, KeyResult, Objective
from orgs.api import OrgScopedPrimaryKeyField, OrgUserField
from orgs.tenancy import OrgScopedViewSet


class InitiativeSerializer(serializers.ModelSerializer):
    key_result = OrgScopedPrimaryKeyField(queryset=KeyResult.objects.all(), allow_null=True, required=False)
    objective = OrgScopedPrimaryKeyField(queryset=Objective.objects.all(), required=False)
    owner = OrgUserField(allow_null=True, required=False)
    status = serializers.ChoiceField(choices=InitiativeStatus.choices, required=False, default=InitiativeStatus.PLANNED)

    class Meta:
        model = Initiative
        fields = ["id", "key_result", "objective", "title", "owner", "status", "due_date"]

    def validate(self, attrs: dict) -> dict:
        if self.instance is None and not attrs.get("objective") and not attrs.get("key_result"):
            raise serializers.ValidationError({"objective": "Give the objective or the key result it serves."})
        return attrs


class InitiativeViewSet(OrgScopedViewSet):
    """Filters: ``?objective=``, ``?key_result=``, ``?owner=``, ``?status=``."""

    model = Initiative
    serializer_class = InitiativeSerializer

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        qs = qs.order_by("due_date", "id")
        for name, field in (("objective", "objective_id"), ("key_result", "key_result_id"), ("owner", "owner_id")):
            value = _int_param(self.request, name)
            if value is not None:
                qs = qs.filter(**{field: value})
        if self.request.query_params.get("status") in InitiativeStatus.values:
            qs = qs.filter(status=self.request.query_params["status"])
        return qs

    def perform_create(self, serializer: InitiativeSerializer) -> None:
        data = serializer.validated_data
        objective = data.get("objective") or data["key_result"].objective
        check_objective_edit(self.membership, objective)
        serializer.instance = services.initiative_create(
            actor=self.request.user,
            objective=objective,
            key_result=data.get("key_result"),
            title=data["title"],
            owner=data.get("owner"),
            status=data.get("status", InitiativeStatus.PLANNED),
            due_date=data.get("due_date"),
        )

    def perform_update(self, serializer: InitiativeSerializer) -> None:
        initiative: Initiative = serializer.instance
        check_initiative_edit(self.membership, initiative, initiative.objective)
        data = serializer.validated_data
        if "objective" in data and data["objective"].pk != initiative.objective_id:
            raise serializers.ValidationError({"objective": "An initiative cannot move to another objective."})
        kwargs = {k: data[k] for k in ("title", "owner", "status", "due_date", "key_result") if k in data}
        serializer.instance = services.initiative_update(initiative=initiative, actor=self.request.user, **kwargs)

    def perform_destroy(self, instance: Initiative) -> None:
        check_objective_edit(self.membership, instance.objective)
        services.initiative_delete(initiative=instance, actor=self.request.user)
