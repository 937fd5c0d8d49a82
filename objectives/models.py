"""Objectives, key results, check-ins and initiatives (DESIGN §4). Progress is stored (``progress``
columns, clamped to [0, 1]) and recomputed by ``objectives.rollup``; the math is ``objectives.progress``.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.provenance import Origin
from cycles.models import Cycle
from kpis.models import Perspective
from objectives import progress as progress_math
from orgs.models import Organization, Team, TenantModel
from orgs.ownership import OwnedMixin, OwnerType, owner_matches_level
from orgs.visibility import Restrictable

MAX_KEY_RESULTS = 5
MIN_KEY_RESULTS_TO_ACTIVATE = 2
MAX_OBJECTIVE_WEIGHT = 10.0  # the weight it carries in its parent: 0 < weight ≤ 10, so no child swamps one


def validate_objective_weight(value: float) -> None:
    """0 < weight ≤ 10 (one message for the form, the API, the service and the model)."""
    if not 0 < value <= MAX_OBJECTIVE_WEIGHT:
        raise ValidationError(
            _("The weight must be more than 0 and at most %(max)s."), code="weight", params={"max": 10}
        )


class ObjectiveStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class Commitment(models.TextChoices):
    """Committed objectives are expected to reach 1.0; for aspirational ones 0.7 counts as success."""

    COMMITTED = "committed", _("Committed")
    ASPIRATIONAL = "aspirational", _("Aspirational")


class KeyResultKind(models.TextChoices):
    NUMBER = "number", _("Number")
    PERCENT = "percent", _("Percent")
    CURRENCY = "currency", _("Currency")
    MILESTONE = "milestone", _("Milestone (done / not done)")
    # Its progress is the weighted mean of the objectives contributing to it (DESIGN §4): no
    # check-ins of its own; its value is that progress, from start 0 to target 1.
    ALIGNED = "aligned", _("Aligned (the objectives contributing to it)")


class InitiativeStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    BLOCKED = "blocked", _("Blocked")


# Where an objective stands in its cycle's review (DESIGN §3), when the cycle asks for one.
class ApprovalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")


class Objective(OwnedMixin, Restrictable, TenantModel):
    # No cycle: a draft in the backlog, planned into a cycle later.
    cycle = models.ForeignKey(
        Cycle, verbose_name=_("cycle"), null=True, blank=True, on_delete=models.PROTECT, related_name="objectives"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    commitment = models.CharField(
        _("type"),
        max_length=16,
        choices=Commitment.choices,
        default=Commitment.COMMITTED,
        help_text=_("Committed: expected to reach 1.0. Aspirational: 0.7 counts as success."),
    )
    owner_type = models.CharField(_("owner level"), max_length=16, choices=OwnerType.choices)
    owner_team = models.ForeignKey(
        Team, verbose_name=_("owner team"), null=True, blank=True, on_delete=models.PROTECT, related_name="objectives"
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="objectives",
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("aligned to"), null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    weight = models.FloatField(
        _("weight"),
        default=1.0,
        validators=[validate_objective_weight],
        help_text=_(
            "How much it counts in the objective it is aligned to (more than 0, at most 10). Only someone "
            "who may edit that objective sets it; otherwise it counts 1."
        ),
    )
    perspective = models.CharField(
        _("perspective"),
        max_length=20,
        choices=Perspective.choices,
        blank=True,
        default="",
        help_text=_("The balanced-scorecard perspective it moves; scorecards show it there."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ObjectiveStatus.choices, default=ObjectiveStatus.DRAFT
    )
    progress = models.FloatField(default=0.0)
    confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    approval_status = models.CharField(
        _("approval"), max_length=20, choices=ApprovalStatus.choices, default=ApprovalStatus.DRAFT, editable=False
    )
    # When it first became active: its pace runs from then (None, rows written in bulk: the cycle's start).
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True, editable=False)
    grade = models.FloatField(_("grade"), null=True, blank=True, help_text=_("Set when its cycle closes (0.0–1.0)."))
    carried_from = models.ForeignKey(
        "self",
        verbose_name=_("carried over from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="carried_to",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic locking: every definition edit bumps it; an older one is refused (core.validation.check_version).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["id"]
        constraints = [
            owner_matches_level("objective_owner_matches_level"),
            models.CheckConstraint(
                name="objective_progress_0_1", condition=models.Q(progress__gte=0.0, progress__lte=1.0)
            ),
            models.CheckConstraint(
                name="objective_weight_bounds", condition=models.Q(weight__gt=0.0, weight__lte=MAX_OBJECTIVE_WEIGHT)
            ),
            models.CheckConstraint(
                name="objective_grade_0_1",
                condition=models.Q(grade__isnull=True) | models.Q(grade__gte=0.0, grade__lte=1.0),
            ),
            # Only drafts wait in the backlog.
            models.CheckConstraint(
                name="objective_backlog_is_draft",
                condition=models.Q(cycle__isnull=False) | models.Q(status="draft"),
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "cycle"]),
            models.Index(fields=["organization", "parent"]),
        ]

    def __str__(self) -> str:
        return self.title

    def activated_on(self, org: Organization | None = None) -> date | None:
        """The day it was activated, in the organisation's time zone (None: not recorded)."""
        if self.activated_at is None:
            return None
        return self.activated_at.astimezone((org or self.organization).tzinfo).date()

    def expected_progress(self, today: date | None = None, *, org: Organization | None = None) -> float:
        """Its own pace by ``today``: from the later of the cycle's start and its activation."""
        if self.cycle is None:
            return 0.0
        org = org or self.organization
        return progress_math.objective_expected_progress(
            cycle_start=self.cycle.start_date,
            cycle_end=self.cycle.end_date,
            on=today or org.today(),
            activated_on=self.activated_on(org),
        )

    def health(self, today: date | None = None, *, org: Organization | None = None) -> str:
        """``objectives.progress.objective_health`` of this objective ("" when it has none), with
        the organisation's thresholds. Pass ``org`` when the objectives were read without it."""
        cycle = self.cycle
        if self.status in progress_math.WITHOUT_HEALTH or cycle is None:
            return ""
        org = org or self.organization
        value = progress_math.objective_health(
            status=self.status,
            progress=self.progress,
            confidence=self.confidence,
            commitment=self.commitment,
            cycle_start=cycle.start_date,
            cycle_end=cycle.end_date,
            on=today or org.today(),
            activated_on=self.activated_on(org),
            thresholds=progress_math.HealthThresholds.of(org),
            closed=cycle.is_closed,
        )
        return value.value if value else ""

    @property
    def in_backlog(self) -> bool:
        return self.cycle_id is None

    @property
    def is_editable(self) -> bool:
        cycle_open = self.cycle is None or self.cycle.is_open()
        return self.status in (ObjectiveStatus.DRAFT, ObjectiveStatus.ACTIVE) and cycle_open

    def achieved(self) -> bool | None:
        """Whether the graded objective reached its type's bar (None before grading)."""
        return None if self.grade is None else progress_math.achieved(grade=self.grade, commitment=self.commitment)


class KeyResult(TenantModel):
    visibility_paths = ("objective__",)  # whom it follows: orgs.visibility.visible_scope
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="key_results")
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="key_results"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=KeyResultKind.choices, default=KeyResultKind.NUMBER)
    unit = models.CharField(_("unit"), max_length=24, blank=True, help_text=_("e.g. leads, %, VND, NPS points"))
    start_value = models.FloatField(_("start value"), default=0.0)
    target_value = models.FloatField(_("target value"))
    current_value = models.FloatField(_("current value"))
    weight = models.FloatField(_("weight"), default=1.0, validators=[MinValueValidator(0.0)])
    progress = models.FloatField(default=0.0)
    confidence = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    kpi = models.ForeignKey(
        "kpis.Kpi",
        verbose_name=_("follows KPI"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="key_results",
        help_text=_("The current value then follows the KPI's latest measurement."),
    )
    position = models.PositiveSmallIntegerField(default=0)
    grade = models.FloatField(_("grade"), null=True, blank=True)
    grade_note = models.TextField(_("grade note"), blank=True)
    carried_from = models.ForeignKey(
        "self",
        verbose_name=_("carried over from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="carried_to",
    )
    last_check_in_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic locking: every definition edit bumps it; an older one is refused (core.validation.check_version).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("key result")
        verbose_name_plural = _("key results")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                name="key_result_progress_0_1", condition=models.Q(progress__gte=0.0, progress__lte=1.0)
            ),
            models.CheckConstraint(name="key_result_weight_not_negative", condition=models.Q(weight__gte=0.0)),
            models.CheckConstraint(
                name="key_result_grade_0_1",
                condition=models.Q(grade__isnull=True) | models.Q(grade__gte=0.0, grade__lte=1.0),
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "objective"]),
            models.Index(fields=["organization", "owner"]),
        ]

    def __str__(self) -> str:
        return self.title

    def progress_raw(self) -> float:
        """Unclamped progress: over-achievement shows as more than 100 %."""
        return progress_math.key_result_progress_raw(
            kind=self.kind, start=self.start_value, target=self.target_value, current=self.current_value
        )

    def progress_value(self) -> float:
        return progress_math.clamp01(self.progress_raw())

    def suggested_grade(self) -> float:
        """The grade a close proposes: clamped progress rounded to 0.1."""
        return progress_math.grade(self.progress_value())


class CheckIn(TenantModel):
    """Append-only: a value, a confidence and a note at a moment."""

    visibility_paths = ("key_result__objective__",)  # whom it follows: orgs.visibility.visible_scope
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="check_ins")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    value = models.FloatField(_("value"))
    confidence = models.PositiveSmallIntegerField(
        _("confidence"), validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    note = models.TextField(_("note"), blank=True)
    # Where the value came from (core.provenance): set by the check-in services.
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices, default=Origin.MANUAL)
    provenance = models.JSONField(_("provenance"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "key_result", "created_at"])]

    def __str__(self) -> str:
        return f"{self.key_result_id}: {self.value}"


class RollupPending(TenantModel):
    """An objective whose progress waits for the worker's rollup (DESIGN §5): written in
    the same transaction as the change that needs it, so a rollup is never lost with a
    message, and taken in batches by ``objectives.rollup.rollup_pending`` — a burst of
    check-ins on one organisation is one task and one commit, not one per check-in.
    Rows are only ever inserted and deleted, never unique: a check-in never waits on the
    row a running batch is taking (the batch folds repeats). ``objective_id`` is a plain
    column: a foreign key would share-lock the objective row that the rollup locks for
    update, and a deleted objective is simply skipped."""

    objective_id = models.BigIntegerField()
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organization", "id"], name="rollup_pending_by_org")]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.objective_id}"


class Initiative(TenantModel):
    visibility_paths = ("objective__",)  # whom it follows: orgs.visibility.visible_scope
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="initiatives")
    key_result = models.ForeignKey(
        KeyResult, null=True, blank=True, on_delete=models.CASCADE, related_name="initiatives"
    )
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="initiatives",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=InitiativeStatus.choices, default=InitiativeStatus.PLANNED
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["organization", "objective"])]

    def __str__(self) -> str:
        return self.title


class ObjectiveSnapshot(TenantModel):
    """An objective's progress at the end of a day (DESIGN §5 snapshots)."""

    visibility_paths = ("objective__",)  # whom it follows: orgs.visibility.visible_scope
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="snapshots")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    progress = models.FloatField()
    confidence = models.PositiveSmallIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["objective", "date"], name="uniq_objective_snapshot")]
        indexes = [models.Index(fields=["organization", "cycle", "date"])]

    def __str__(self) -> str:
        return f"{self.objective_id} @ {self.date}: {self.progress:.3f}"


class TeamSnapshot(TenantModel):
    """A team's progress and subtree progress in a cycle at the end of a day."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="snapshots")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    progress = models.FloatField(null=True)
    subtree_progress = models.FloatField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "cycle", "date"], name="uniq_team_snapshot")]
        indexes = [models.Index(fields=["organization", "cycle", "date"])]

    def __str__(self) -> str:
        return f"team {self.team_id} @ {self.date}"


class Retrospective(TenantModel):
    """One objective's look back at the end of its cycle, acknowledged by a reviewer."""

    objective = models.OneToOneField(Objective, on_delete=models.CASCADE, related_name="retrospective")
    went_well = models.TextField(_("what went well"), blank=True)
    went_badly = models.TextField(_("what did not go well"), blank=True)
    learned = models.TextField(_("what we learned"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    reviewer_comment = models.TextField(_("reviewer's comment"), blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("retrospective")
        verbose_name_plural = _("retrospectives")
        indexes = [models.Index(fields=["organization", "objective"])]

    def __str__(self) -> str:
        return f"retrospective of {self.objective_id}"

    @property
    def is_written(self) -> bool:
        return bool(self.went_well.strip() or self.went_badly.strip() or self.learned.strip())

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None


class CoachDismissal(TenantModel):
    """A coach finding someone chose to ignore, with the reason (the score leaves it out)."""

    code = models.CharField(max_length=48)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=40)
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code", "object_type", "object_id"], name="uniq_coach_dismissal"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} on {self.object_type} {self.object_id}"


class OkrTemplate(TenantModel):
    """An organisation's own OKR template, saved from one of its objectives. The shipped
    templates are data files (``rituals/template_data/``), not rows."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    commitment = models.CharField(_("type"), max_length=16, choices=Commitment.choices, default=Commitment.COMMITTED)
    # [{"title", "kind", "unit", "start", "target"}], at most five.
    key_results = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("OKR template")
        verbose_name_plural = _("OKR templates")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


# Alignment beyond the primary parent, in its own module (this one is near its size limit).
from objectives.contribution import MAX_CONTRIBUTIONS as MAX_CONTRIBUTIONS  # noqa: E402
from objectives.contribution import Contribution as Contribution  # noqa: E402
from objectives.review_models import ObjectiveReview  # noqa: E402, F401  (its own module: this one is full)
