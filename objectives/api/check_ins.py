"""API resource ``check-ins/`` (append-only): the hot path of the Friday rush."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.exceptions import PermissionDenied

from core.api import ProvenanceSerializer
from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent_create
from core.provenance import Origin
from objectives import services
from objectives.api._common import _int_param
from objectives.models import CheckIn, KeyResult
from orgs.api import OrgScopedPrimaryKeyField
from orgs.tenancy import OrgScopedViewSet


class KeyResultIdField(OrgScopedPrimaryKeyField):
    """A key-result id taken as it is: the check-in service reads the key result once,
    locked and within the organisation, and answers for one that is not there."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, float) and data.is_integer():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            value = int(data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < value < 2**63:
            self.fail("does_not_exist", pk_value=data)
        return value


class CheckInSerializer(serializers.Serializer):
    # Every field declared (no model introspection on each request): the check-in is the
    # hot path of the Friday rush.
    id = serializers.IntegerField(read_only=True)
    key_result = KeyResultIdField(queryset=KeyResult.objects.all())
    value = serializers.FloatField()
    confidence = serializers.IntegerField(min_value=1, max_value=10)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    author = serializers.IntegerField(source="author_id", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    origin = serializers.ChoiceField(choices=Origin.choices, read_only=True, help_text="Where the value came from.")
    provenance = ProvenanceSerializer(read_only=True)


class CheckInViewSet(OrgScopedViewSet):
    """Append-only: list, retrieve and create. Filters: ``?key_result=``, ``?author=``, ``?objective=``."""

    model = CheckIn
    serializer_class = CheckInSerializer
    http_method_names = ["get", "post", "head", "options"]
    idempotent = True  # POST takes an Idempotency-Key (documented by core.schema)

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        qs = qs.order_by("-created_at", "-id")
        for name, field in (
            ("key_result", "key_result_id"),
            ("author", "author_id"),
            ("objective", "key_result__objective_id"),
        ):
            value = _int_param(self.request, name)
            if value is not None:
                qs = qs.filter(**{field: value})
        return qs

    @extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER])
    def create(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # One service call that keeps itself whole (one write statement on PostgreSQL, its
        # own transaction elsewhere): no transaction around it, whose BEGIN and COMMIT
        # would cost two more round trips to the database on the busiest write. With an
        # Idempotency-Key the write and its stored answer commit together instead.
        return idempotent_create(
            request, org_id=self.org.pk, create=lambda: mixins.CreateModelMixin.create(self, request, *args, **kwargs)
        )

    def perform_create(self, serializer: CheckInSerializer) -> None:
        # The hot path of the Friday rush: one read of the key result, the rule, the
        # writes (objectives.services.key_result_check_in_by_id).
        data = serializer.validated_data
        try:
            check_in = services.key_result_check_in_by_id(
                membership=self.membership,
                key_result_id=data["key_result"],
                value=data["value"],
                confidence=data["confidence"],
                note=data.get("note", ""),
            )
        except services.CheckInRefused:
            raise PermissionDenied(
                "Only the key result's owner (or whoever may edit its objective) checks in."
            ) from None
        if check_in is None:
            field = serializer.fields["key_result"]
            raise serializers.ValidationError(
                {"key_result": [field.error_messages["does_not_exist"].format(pk_value=data["key_result"])]}
            )
        serializer.instance = check_in
