"""API resources ``objectives/``, ``key-results/``, ``check-ins/`` and ``initiatives/``.

Serializers validate shapes and scope foreign keys to the caller's
organisation; the rules of the method live in ``objectives.services``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.exceptions import PermissionDenied

from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent_create
from core.ids import parse_id
from cycles.models import Cycle
from kpis.models import Kpi, Perspective
from objectives import services
from objectives.models import (
    CheckIn,
    Commitment,
    Initiative,
    InitiativeStatus,
    KeyResult,
    KeyResultKind,
    Objective,
    ObjectiveStatus,
    OwnerType,
    validate_objective_weight,
)
from orgs import permissions
from orgs.api import OrgScopedPrimaryKeyField, OrgUserField
from orgs.models import Team
from orgs.ownership import owner_after_change, require_can_own
from orgs.tenancy import OrgScopedViewSet


def _int_param(request: Any, name: str) -> int | None:
    raw = request.query_params.get(name)
    return parse_id(raw)


# --- objectives ----------------------------------------------------------------------


class ObjectiveSerializer(serializers.ModelSerializer):
    cycle = OrgScopedPrimaryKeyField(
        queryset=Cycle.objects.all(), allow_null=True, help_text="null: a draft in the backlog, planned later."
    )
    commitment = serializers.ChoiceField(
        choices=Commitment.choices,
        required=False,
        help_text="committed (expected to reach 1.0) or aspirational (0.7 counts as success).",
    )
    grade = serializers.FloatField(read_only=True, allow_null=True, help_text="Set when the cycle closes (0–1).")
    carried_from = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The objective this one was carried over from."
    )
    owner_type = serializers.ChoiceField(choices=OwnerType.choices)
    owner_team = OrgScopedPrimaryKeyField(queryset=Team.objects.all(), allow_null=True, required=False)
    owner_user = OrgUserField(allow_null=True, required=False)
    parent = OrgScopedPrimaryKeyField(queryset=Objective.objects.all(), allow_null=True, required=False)
    weight = serializers.FloatField(
        required=False,
        default=1.0,
        validators=[validate_objective_weight],
        help_text="How much it counts in its parent: more than 0, at most 10. Only someone who may edit the "
        "parent sets it; for anyone else it counts 1 (what they send is ignored).",
    )
    perspective = serializers.ChoiceField(
        choices=Perspective.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="The balanced-scorecard perspective it moves (blank: none).",
    )
    status = serializers.ChoiceField(choices=ObjectiveStatus.choices, required=False)
    progress = serializers.FloatField(read_only=True, help_text="Rolled-up progress in [0, 1].")
    confidence = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The lowest confidence of its key results (1–10)."
    )
    health = serializers.SerializerMethodField(
        help_text="on_track, at_risk or off_track (null for drafts, cancelled objectives and closed cycles)."
    )
    key_results = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Send back the version you read with a change: if someone saved since, the answer is 409 "
        "and nothing is written. Every change of the definition adds one.",
    )

    class Meta:
        model = Objective
        fields = [
            "id",
            "cycle",
            "title",
            "description",
            "commitment",
            "owner_type",
            "owner_team",
            "owner_user",
            "parent",
            "weight",
            "perspective",
            "status",
            "progress",
            "confidence",
            "health",
            "grade",
            "carried_from",
            "key_results",
            "version",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=["on_track", "at_risk", "off_track"], allow_null=True))
    def get_health(self, obj: Objective) -> str | None:
        return obj.health(self.context.get("today"), org=self.context.get("org")) or None


class ObjectiveViewSet(OrgScopedViewSet):
    """Filters: ``?cycle=`` (``null``: the backlog), ``?status=``, ``?owner_type=``, ``?owner_team=``,
    ``?owner_user=``, ``?parent=``."""

    model = Objective
    serializer_class = ObjectiveSerializer
    versioned = True  # PATCH with a stale version: 409 (documented by core.schema)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["today"] = self.org.today()
        context["org"] = self.org  # health reads its thresholds and time zone: no query per row
        return context

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        qs = qs.select_related("cycle").prefetch_related("key_results").order_by("id")
        params = self.request.query_params
        for name in ("cycle", "owner_team", "owner_user"):
            value = _int_param(self.request, name)
            if value is not None:
                qs = qs.filter(**{f"{name}_id": value})
        if params.get("cycle") == "null":
            qs = qs.filter(cycle__isnull=True)
        if params.get("parent") == "null":
            qs = qs.filter(parent__isnull=True)
        elif _int_param(self.request, "parent") is not None:
            qs = qs.filter(parent_id=_int_param(self.request, "parent"))
        if params.get("status") in ObjectiveStatus.values:
            qs = qs.filter(status=params["status"])
        if params.get("owner_type") in OwnerType.values:
            qs = qs.filter(owner_type=params["owner_type"])
        return qs

    def _require_owner(self, owner: tuple[str, Any, Any]) -> None:
        require_can_own(
            self.membership,
            owner,
            message="You cannot own objectives at this level; members create their own, managers "
            "their teams', admins the company's.",
        )

    def perform_create(self, serializer: ObjectiveSerializer) -> None:
        data = serializer.validated_data
        self._require_owner((data["owner_type"], data.get("owner_team"), data.get("owner_user")))
        objective = services.objective_create(
            org=self.org,
            actor=self.request.user,
            cycle=data["cycle"],
            title=data["title"],
            description=data.get("description", ""),
            commitment=data.get("commitment", Commitment.COMMITTED),
            owner_type=data["owner_type"],
            owner_team=data.get("owner_team"),
            owner_user=data.get("owner_user"),
            parent=data.get("parent"),
            weight=data.get("weight", 1.0),
            perspective=data.get("perspective", ""),
        )
        if data.get("status") and data["status"] != ObjectiveStatus.DRAFT:
            objective = services.objective_set_status(
                objective=objective, actor=self.request.user, status=data["status"]
            )
        serializer.instance = objective

    def perform_update(self, serializer: ObjectiveSerializer) -> None:
        objective: Objective = serializer.instance
        if not objective.editable_by(self.membership):
            raise PermissionDenied("You cannot change this objective.")
        data = dict(serializer.validated_data)
        status = data.pop("status", None)
        kwargs: dict[str, Any] = {
            k: data[k]
            for k in ("title", "description", "owner_type", "weight", "cycle", "perspective", "commitment")
            if k in data
        }
        for key in ("owner_team", "owner_user", "parent"):
            if key in data:
                kwargs[key] = data[key]
        owner_change = {k: kwargs[k] for k in ("owner_type", "owner_team", "owner_user") if k in kwargs}
        if owner_change:
            self._require_owner(owner_after_change(objective, **owner_change))
        version = data.get("version")
        if kwargs or version is not None:
            objective = services.objective_update(
                objective=objective, actor=self.request.user, expected_version=version, **kwargs
            )
        if status is not None:
            objective = services.objective_set_status(objective=objective, actor=self.request.user, status=status)
        serializer.instance = self.get_queryset().get(pk=objective.pk)

    def perform_destroy(self, instance: Objective) -> None:
        if not instance.editable_by(self.membership):
            raise PermissionDenied("You cannot delete this objective.")
        services.objective_delete(objective=instance, actor=self.request.user)


# --- key results --------------------------------------------------------------------------


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
        if not objective.editable_by(self.membership):
            raise PermissionDenied("You cannot add key results to this objective.")
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
        )

    def perform_update(self, serializer: KeyResultSerializer) -> None:
        kr: KeyResult = serializer.instance
        if not kr.objective.editable_by(self.membership):
            raise PermissionDenied("You cannot change this key result.")
        data = dict(serializer.validated_data)
        if "objective" in data and data["objective"].pk != kr.objective_id:
            raise serializers.ValidationError({"objective": "A key result cannot move to another objective."})
        kwargs = {
            k: data[k]
            for k in ("title", "owner", "kind", "unit", "start_value", "target_value", "weight", "kpi")
            if k in data
        }
        serializer.instance = services.key_result_update(
            key_result=kr, actor=self.request.user, expected_version=data.get("version"), **kwargs
        )

    def perform_destroy(self, instance: KeyResult) -> None:
        if not instance.objective.editable_by(self.membership):
            raise PermissionDenied("You cannot delete this key result.")
        services.key_result_delete(key_result=instance, actor=self.request.user)


# --- check-ins (append-only) ---------------------------------------------------------------


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
            request,
            org_id=self.org.pk,
            create=lambda: mixins.CreateModelMixin.create(self, request, *args, **kwargs),
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


# --- initiatives ---------------------------------------------------------------------------


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
        if not objective.editable_by(self.membership):
            raise PermissionDenied("You cannot add initiatives to this objective.")
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
        allowed = initiative.objective.editable_by(self.membership) or (
            permissions.can_write(self.membership) and initiative.owner_id == self.request.user.pk
        )
        if not allowed:
            raise PermissionDenied("You cannot change this initiative.")
        data = serializer.validated_data
        if "objective" in data and data["objective"].pk != initiative.objective_id:
            raise serializers.ValidationError({"objective": "An initiative cannot move to another objective."})
        kwargs = {k: data[k] for k in ("title", "owner", "status", "due_date", "key_result") if k in data}
        serializer.instance = services.initiative_update(initiative=initiative, actor=self.request.user, **kwargs)

    def perform_destroy(self, instance: Initiative) -> None:
        if not instance.objective.editable_by(self.membership):
            raise PermissionDenied("You cannot delete this initiative.")
        services.initiative_delete(initiative=instance, actor=self.request.user)
