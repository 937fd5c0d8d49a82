"""API resource ``strategy-links/``: the strategy map's links, between KPIs and objectives
of the caller's organisation (DESIGN §6)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from core.ids import parse_id
from kpis.models import Kpi
from objectives.models import Objective
from orgs.api import OrgScopedPrimaryKeyField
from orgs.tenancy import OrgScopedViewSet
from scorecards import services
from scorecards.models import Scorecard, StrategyLink


class ScopedOr404Field(OrgScopedPrimaryKeyField):
    """An id of a row of the caller's organisation; another organisation's row (or none)
    is a 404, like a URL that names it."""

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except ValidationError as exc:
            codes = exc.get_codes()
            if codes == ["does_not_exist"]:
                model = self.get_queryset().model
                raise NotFound(f"{model._meta.verbose_name} {data} not found.") from None
            raise


class StrategyLinkSerializer(serializers.ModelSerializer):
    scorecard = ScopedOr404Field(queryset=Scorecard.objects.all())
    source_kpi = ScopedOr404Field(queryset=Kpi.objects.all(), allow_null=True, required=False)
    source_objective = ScopedOr404Field(queryset=Objective.objects.all(), allow_null=True, required=False)
    target_kpi = ScopedOr404Field(queryset=Kpi.objects.all(), allow_null=True, required=False)
    target_objective = ScopedOr404Field(queryset=Objective.objects.all(), allow_null=True, required=False)
    created_by = serializers.PrimaryKeyRelatedField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = StrategyLink
        fields = [
            "id",
            "scorecard",
            "source_kpi",
            "source_objective",
            "target_kpi",
            "target_objective",
            "created_by",
            "created_at",
        ]
        # The same arrow twice is refused by the service with a clear message; the model's
        # conditional unique constraints must not turn optional ends into required ones here.
        validators: list = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for end in ("source", "target"):
            given = [attrs.get(f"{end}_kpi"), attrs.get(f"{end}_objective")]
            if sum(v is not None for v in given) != 1:
                raise ValidationError({end: [f"Give exactly one of {end}_kpi and {end}_objective."]})
        return attrs


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("scorecard", int)]))
class StrategyLinkViewSet(OrgScopedViewSet):
    """Cause-and-effect links of strategy maps: ``source`` drives ``target``; each end is a KPI
    on the scorecard or an objective of its owner that has a perspective. Admins and the owning
    team's managers add and remove them. Filter: ``?scorecard=``."""

    model = StrategyLink
    serializer_class = StrategyLinkSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        qs = qs.order_by("scorecard_id", "id")
        raw = self.request.query_params.get("scorecard")
        if raw not in (None, ""):
            scorecard_id = parse_id(raw)
            if scorecard_id is None:
                raise ValidationError({"scorecard": ["Expected a whole number."]})
            qs = qs.filter(scorecard_id=scorecard_id)
        return qs

    def perform_create(self, serializer: StrategyLinkSerializer) -> None:
        data = serializer.validated_data
        scorecard: Scorecard = data["scorecard"]
        if not scorecard.editable_by(self.membership):
            raise PermissionDenied("Only admins, and managers of the owning team, change this strategy map.")
        serializer.instance = services.strategy_link_create(
            scorecard=scorecard,
            actor=self.request.user,
            source=data.get("source_kpi") or data["source_objective"],
            target=data.get("target_kpi") or data["target_objective"],
        )

    def perform_destroy(self, instance: StrategyLink) -> None:
        if not instance.scorecard.editable_by(self.membership):
            raise PermissionDenied("Only admins, and managers of the owning team, change this strategy map.")
        services.strategy_link_delete(link=instance, actor=self.request.user)
