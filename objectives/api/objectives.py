"""API resource ``objectives/``: serializers validate shapes and scope foreign keys
to the caller's organisation; the rules live in ``objectives.services``."""

from __future__ import annotations

from typing import Any

from django.db.models import Manager, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cycles.models import Cycle
from kpis.models import Perspective
from objectives import services
from objectives.access import check_objective_create, check_objective_edit, check_objective_owner_change
from objectives.api._common import _int_param
from objectives.api.approvals import ApprovalActions
from objectives.extensions import ImportOrigin, import_origins
from objectives.models import Commitment, Objective, ObjectiveStatus, OwnerType, validate_objective_weight
from orgs.api import OrgScopedPrimaryKeyField, OrgUserField, viewer_ids_field
from orgs.models import Team
from orgs.ownership import owner_after_change
from orgs.tenancy import OrgScopedViewSet
from orgs.visibility import Visibility


class ImportOriginSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="The import's kind, as in `imports/`: okrs, organization or viva_goals.")
    run = serializers.IntegerField(help_text="The import's id (`imports/<id>/`, for an admin).")
    imported_at = serializers.DateTimeField(help_text="When the import was applied.")


class ObjectiveListSerializer(serializers.ListSerializer):
    """A page of objectives: the imports they came from found together (one query), before
    each objective is written out."""

    def to_representation(self, data: Any) -> list[Any]:
        objectives = list(data.all() if isinstance(data, Manager) else data)
        found: dict[int, ImportOrigin | None] = {o.pk: None for o in objectives}
        for org_id in {o.organization_id for o in objectives}:
            ids = [o.pk for o in objectives if o.organization_id == org_id]
            found.update(import_origins(org_id=org_id, objective_ids=ids))
        self.child.context["import_origins"] = found
        return super().to_representation(objectives)


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
    imported_from = serializers.SerializerMethodField(
        help_text="The import it came from, as its page says (null: not imported)."
    )
    visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        required=False,
        help_text="Who can see it: organization (everyone), team (the owner's team, its managers and admins) or "
        "private (the owner, their managers, admins and the viewers named). A new objective takes its parent's "
        "unless told; it is never wider than what it counts in (400), and a parent is never made narrower than "
        "a child (400). Those who may not see it get 404.",
    )
    viewers = viewer_ids_field()
    approval_status = serializers.CharField(
        read_only=True, help_text="draft, in_review, changes_requested or approved (cycles that ask for approval)."
    )
    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Why: required when a new weight sends an approved objective back to review.",
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Send back the version you read with a change: if someone saved since, the answer is 409 "
        "and nothing is written. Every change of the definition adds one.",
    )

    class Meta:
        model = Objective
        list_serializer_class = ObjectiveListSerializer
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
            "visibility",
            "viewers",
            "approval_status",
            "imported_from",
            "reason",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=["on_track", "at_risk", "off_track"], allow_null=True))
    def get_health(self, obj: Objective) -> str | None:
        return obj.health(self.context.get("today"), org=self.context.get("org")) or None

    @extend_schema_field(ImportOriginSerializer(allow_null=True))
    def get_imported_from(self, obj: Objective) -> dict[str, Any] | None:
        found = self.context.get("import_origins") or {}
        if obj.pk in found:
            origin = found[obj.pk]
        else:
            origin = import_origins(org_id=obj.organization_id, objective_ids=[obj.pk]).get(obj.pk)
        return dict(ImportOriginSerializer(origin).data) if origin is not None else None


class ObjectiveViewSet(ApprovalActions, OrgScopedViewSet):
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
        qs = qs.select_related("cycle").prefetch_related("key_results", "viewers").order_by("id")
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

    def perform_create(self, serializer: ObjectiveSerializer) -> None:
        data = serializer.validated_data
        check_objective_create(self.membership, (data["owner_type"], data.get("owner_team"), data.get("owner_user")))
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
            visibility=data.get("visibility"),
            viewers=data.get("viewers"),
        )
        if data.get("status") and data["status"] != ObjectiveStatus.DRAFT:
            objective = services.objective_set_status(
                objective=objective, actor=self.request.user, status=data["status"]
            )
        serializer.instance = objective

    def perform_update(self, serializer: ObjectiveSerializer) -> None:
        objective: Objective = serializer.instance
        check_objective_edit(self.membership, objective)
        data = dict(serializer.validated_data)
        status = data.pop("status", None)
        kwargs: dict[str, Any] = {
            k: data[k]
            for k in ("title", "description", "owner_type", "weight", "cycle", "perspective", "commitment")
            if k in data
        }
        for key in ("owner_team", "owner_user", "parent", "visibility", "viewers"):
            if key in data:
                kwargs[key] = data[key]
        owner_change = {k: kwargs[k] for k in ("owner_type", "owner_team", "owner_user") if k in kwargs}
        if owner_change:
            check_objective_owner_change(self.membership, objective, owner_after_change(objective, **owner_change))
        version = data.get("version")
        if kwargs or version is not None:
            kwargs["reason"] = data.get("reason")
            objective = services.objective_update(
                objective=objective, actor=self.request.user, expected_version=version, **kwargs
            )
        if status is not None:
            objective = services.objective_set_status(objective=objective, actor=self.request.user, status=status)
        serializer.instance = self.get_queryset().get(pk=objective.pk)

    def perform_destroy(self, instance: Objective) -> None:
        check_objective_edit(self.membership, instance)
        services.objective_delete(objective=instance, actor=self.request.user)
