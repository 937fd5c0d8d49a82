"""Contributions: alignment beyond the primary parent (DESIGN §4).

An objective aligns to one ``parent`` (its primary one) and may further contribute to
other objectives, or to a key result of kind ``aligned``, each link with a weight. Every
link counts once, in the parent it names; the graph stays acyclic (the services refuse a
link that would close a loop, naming the path).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from orgs.models import TenantModel

# One objective spreads itself over at most this many further parents: past it a link means little.
MAX_CONTRIBUTIONS = 10


class Contribution(TenantModel):
    """``child`` counts in ``parent`` (an objective) or in ``key_result`` (of kind ``aligned``),
    exactly one of the two, with ``weight`` (0 < weight ≤ 10, as an objective's own weight)."""

    # Whom it follows (orgs.visibility.visible_scope): the child and what it counts in.
    visibility_paths = ("child__", "parent__", "key_result__objective__")
    child = models.ForeignKey(
        "objectives.Objective", on_delete=models.CASCADE, related_name="contributions", verbose_name=_("objective")
    )
    parent = models.ForeignKey(
        "objectives.Objective",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contributors",
        verbose_name=_("contributes to objective"),
    )
    key_result = models.ForeignKey(
        "objectives.KeyResult",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contributors",
        verbose_name=_("contributes to key result"),
    )
    weight = models.FloatField(_("weight"), default=1.0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="contribution_one_target",
                condition=(models.Q(parent__isnull=False, key_result__isnull=True))
                | (models.Q(parent__isnull=True, key_result__isnull=False)),
            ),
            models.CheckConstraint(
                name="contribution_weight_bounds", condition=models.Q(weight__gt=0.0, weight__lte=10.0)
            ),
            models.CheckConstraint(name="contribution_not_to_itself", condition=~models.Q(parent=models.F("child"))),
            models.UniqueConstraint(
                fields=["child", "parent"], name="uniq_contribution_parent", condition=models.Q(parent__isnull=False)
            ),
            models.UniqueConstraint(
                fields=["child", "key_result"],
                name="uniq_contribution_key_result",
                condition=models.Q(key_result__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "child"]),
            models.Index(fields=["organization", "parent"]),
            models.Index(fields=["organization", "key_result"]),
        ]

    def __str__(self) -> str:
        return f"{self.child_id} → {self.parent_id or f'kr {self.key_result_id}'} ({self.weight})"
