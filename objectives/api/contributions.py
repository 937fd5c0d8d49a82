"""API resource ``contributions/`` (DESIGN §6): ``id``*, ``child``, ``parent`` or
``key_result`` (exactly one), ``weight``. Another organisation's objective or key result,
named in the body, is a 404, as a missing one; the rules (no loop, no self, an ``aligned``
key result, a weight in (0, 10], at most ten per objective) are the services' 400s."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers

from objectives import services
from objectives.access import check_objective_edit
from objectives.api._common import _int_param
from objectives.models import Contribution, KeyResult, Objective
from objectives.services.contributions import contribution_weight
from orgs.api import OrgScopedPrimaryKeyField
from orgs.tenancy import OrgScopedViewSet


class _OrgRowOr404(OrgScopedPrimaryKeyField):
    """A row of the caller's organisation; any other id (another organisation's included) is a 404."""

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if any(getattr(d, "code", "") == "does_not_exist" for d in exc.detail):
                raise exceptions.NotFound(_("No such objective or key result in this organisation.")) from None
            raise


class ContributionSerializer(serializers.ModelSerializer):
    child = _OrgRowOr404(queryset=Objective.objects.all())
    parent = _OrgRowOr404(queryset=Objective.objects.all(), allow_null=True, required=False)
    key_result = _OrgRowOr404(queryset=KeyResult.objects.all(), allow_null=True, required=False)
    weight = serializers.FloatField(required=False, default=1.0, allow_null=False)

    class Meta:
        model = Contribution
        fields = ["id", "child", "parent", "key_result", "weight"]

    def get_validators(self) -> list[Any]:
        return []  # the services check duplicates, with their own message (not "required")

    def to_internal_value(self, data: Any) -> Any:
        # A weight sent as text ("NaN", a word) gets the service's message, not DRF's.
        if isinstance(data, dict) and isinstance(data.get("weight"), str):
            data = {**data}
            try:
                data["weight"] = contribution_weight(data["weight"])
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.message_dict) from None
        return super().to_internal_value(data)


class ContributionViewSet(OrgScopedViewSet):
    """Filters: ``?child=``, ``?parent=``, ``?key_result=``."""

    model = Contribution
    serializer_class = ContributionSerializer

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        qs = qs.order_by("id")
        for name in ("child", "parent", "key_result"):
            value = _int_param(self.request, name)
            if value is not None:
                qs = qs.filter(**{f"{name}_id": value})
        return qs

    def perform_create(self, serializer: ContributionSerializer) -> None:
        data = serializer.validated_data
        check_objective_edit(self.membership, data["child"])
        serializer.instance = services.contribution_create(
            child=data["child"],
            actor=self.request.user,
            parent=data.get("parent"),
            key_result=data.get("key_result"),
            weight=data.get("weight", 1.0),
        )

    def perform_update(self, serializer: ContributionSerializer) -> None:
        link: Contribution = serializer.instance
        check_objective_edit(self.membership, link.child)
        data = serializer.validated_data
        for name in ("child", "parent", "key_result"):
            if name in data and getattr(data[name], "pk", None) != getattr(link, f"{name}_id"):
                raise serializers.ValidationError(
                    {name: _("A contribution does not move: delete it and make another.")}
                )
        if "weight" in data:
            serializer.instance = services.contribution_update(
                contribution=link, actor=self.request.user, weight=data["weight"]
            )

    def perform_destroy(self, instance: Contribution) -> None:
        check_objective_edit(self.membership, instance.child)
        services.contribution_delete(contribution=instance, actor=self.request.user)
