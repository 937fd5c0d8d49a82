"""Balanced scorecards and their strategy maps (DESIGN §4).

A scorecard belongs to the company (``owner_team`` null) or to a team. Its items place
KPIs in the four perspectives, each item and each perspective with a weight; the score
math is the pure ``scorecards.scoring``. A strategy link is a cause-and-effect arrow
between two nodes of the scorecard's map: KPIs on the scorecard or objectives of its owner.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kpis.models import Frequency, Kpi, Perspective
from objectives.models import Objective
from orgs import permissions
from orgs.models import Membership, Team, TenantModel
from scorecards import scoring

PERSPECTIVE_WEIGHT_FIELDS: dict[str, str] = {p: f"weight_{p}" for p in scoring.PERSPECTIVES}


def _weight_field(label: str) -> models.FloatField:
    return models.FloatField(label, default=1.0, help_text=_("How much this perspective counts in the overall score."))


class Scorecard(TenantModel):
    name = models.CharField(_("name"), max_length=200)
    owner_team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scorecards",
        help_text=_("Empty: the company's scorecard."),
    )
    frequency = models.CharField(
        _("reporting period"),
        max_length=16,
        choices=Frequency.choices,
        default=Frequency.MONTHLY,
        help_text=_("The periods of the trend and of the “as of” choice."),
    )
    weight_financial = _weight_field(_("financial weight"))
    weight_customer = _weight_field(_("customer weight"))
    weight_internal_process = _weight_field(_("internal process weight"))
    weight_learning_growth = _weight_field(_("learning and growth weight"))
    green_at = models.FloatField(
        _("green from"), default=scoring.DEFAULT_GREEN_AT, help_text=_("A score at or above this is green.")
    )
    amber_at = models.FloatField(
        _("amber from"), default=scoring.DEFAULT_AMBER_AT, help_text=_("A score at or above this is amber; below, red.")
    )
    settled_at = models.FloatField(
        _("complete from"),
        default=scoring.DEFAULT_SETTLED_SHARE,
        help_text=_(
            "A period counts once KPIs carrying this share of the weight have a value; a newer period "
            "with fewer is provisional, shown without a colour."
        ),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="uniq_scorecard_name"),
            models.CheckConstraint(
                name="scorecard_weights_not_negative",
                condition=Q(
                    weight_financial__gte=0,
                    weight_customer__gte=0,
                    weight_internal_process__gte=0,
                    weight_learning_growth__gte=0,
                ),
            ),
            models.CheckConstraint(
                name="scorecard_thresholds_ordered",
                condition=Q(amber_at__gte=0, amber_at__lte=models.F("green_at"), green_at__lte=1.5),
            ),
            models.CheckConstraint(name="scorecard_settled_share", condition=Q(settled_at__gte=0, settled_at__lte=1)),
        ]
        indexes = [models.Index(fields=["organization", "owner_team"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_company(self) -> bool:
        return self.owner_team_id is None

    @property
    def perspective_weights(self) -> dict[str, float]:
        return {p: getattr(self, field) for p, field in PERSPECTIVE_WEIGHT_FIELDS.items()}

    def editable_by(self, m: Membership) -> bool:
        """Admins edit every scorecard; managers the scorecards of the teams they manage (and
        teams below them); the company's scorecard is the admins'."""
        return permissions.can_write(m) and permissions.can_manage_team(m, self.owner_team_id)

    def rag(self, score: float | None) -> str | None:
        return scoring.rag_status(score, green_at=self.green_at, amber_at=self.amber_at)

    def settled(self, share: float) -> bool:
        """Whether a period whose measured KPIs carry ``share`` of the weight counts (not provisional)."""
        return scoring.is_settled(share, settled_at=self.settled_at)


class ScorecardItem(TenantModel):
    """A KPI placed in one perspective of a scorecard, with its weight and position."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="items")
    kpi = models.ForeignKey(Kpi, verbose_name=_("KPI"), on_delete=models.CASCADE, related_name="scorecard_items")
    perspective = models.CharField(_("perspective"), max_length=20, choices=Perspective.choices)
    weight = models.FloatField(_("weight"), default=1.0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("scorecard item")
        verbose_name_plural = _("scorecard items")
        ordering = ["scorecard_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "kpi"], name="uniq_scorecard_item_kpi"),
            models.CheckConstraint(name="scorecard_item_weight_not_negative", condition=Q(weight__gte=0)),
        ]
        indexes = [models.Index(fields=["organization", "kpi"])]

    def __str__(self) -> str:
        return f"{self.scorecard_id}: {self.kpi_id} ({self.perspective})"


def _one_of(prefix: str) -> Q:
    return Q(**{f"{prefix}_kpi__isnull": False, f"{prefix}_objective__isnull": True}) | Q(
        **{f"{prefix}_kpi__isnull": True, f"{prefix}_objective__isnull": False}
    )


def _unique_link(source: str, target: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["scorecard", f"source_{source}", f"target_{target}"],
        condition=Q(**{f"source_{source}__isnull": False, f"target_{target}__isnull": False}),
        name=f"uniq_strategy_link_{source}_{target}",
    )


class StrategyLink(TenantModel):
    """A cause-and-effect arrow on a scorecard's strategy map: ``source`` drives ``target``.
    Each end is exactly one KPI or one objective."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="links")
    source_kpi = models.ForeignKey(Kpi, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    source_objective = models.ForeignKey(Objective, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    target_kpi = models.ForeignKey(Kpi, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    target_objective = models.ForeignKey(Objective, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("strategy link")
        verbose_name_plural = _("strategy links")
        ordering = ["scorecard_id", "id"]
        constraints = [
            models.CheckConstraint(name="strategy_link_one_source", condition=_one_of("source")),
            models.CheckConstraint(name="strategy_link_one_target", condition=_one_of("target")),
            _unique_link("kpi", "kpi"),
            _unique_link("kpi", "objective"),
            _unique_link("objective", "kpi"),
            _unique_link("objective", "objective"),
        ]

    def __str__(self) -> str:
        return f"{self.source_key} → {self.target_key}"

    @property
    def source_key(self) -> str:
        return node_key(kpi_id=self.source_kpi_id, objective_id=self.source_objective_id)

    @property
    def target_key(self) -> str:
        return node_key(kpi_id=self.target_kpi_id, objective_id=self.target_objective_id)


def node_key(*, kpi_id: int | None = None, objective_id: int | None = None) -> str:
    """``kpi:12`` or ``objective:5``: how a map node is named in forms and links."""
    return f"kpi:{kpi_id}" if kpi_id is not None else f"objective:{objective_id}"
