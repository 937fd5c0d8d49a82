"""OKR cycles: a quarter by default, a year or a custom span allowed."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orgs.models import TenantModel


class CycleStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class CycleKind(models.TextChoices):
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")
    CUSTOM = "custom", _("Custom")


class Cycle(TenantModel):
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=CycleKind.choices, default=CycleKind.QUARTER)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(_("status"), max_length=16, choices=CycleStatus.choices, default=CycleStatus.PLANNING)
    closing_message = models.TextField(
        _("closing message"), blank=True, help_text=_("What the organisation takes away from this cycle.")
    )
    approvals_required = models.BooleanField(
        _("objectives need approval"),
        default=False,
        help_text=_(
            "Each objective is reviewed by its owner's manager (admins for company objectives) "
            "before it can be activated."
        ),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        ordering = ["-start_date", "end_date", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="uniq_cycle_name"),
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="cycle_dates_order"),
        ]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return self.name

    def contains(self, other: Cycle) -> bool:
        return self.start_date <= other.start_date and self.end_date >= other.end_date

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    def is_open(self) -> bool:
        return self.status != CycleStatus.CLOSED

    @property
    def is_closed(self) -> bool:
        return self.status == CycleStatus.CLOSED

    def includes(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date
