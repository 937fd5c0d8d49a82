"""In-app notifications, and the claims that make every reminder go out exactly once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orgs.models import TenantModel


class NotificationKind(models.TextChoices):
    KPI_DUE = "kpi_due", _("KPI measurement due")
    KPI_OVERDUE = "kpi_overdue", _("KPI measurement overdue")
    CHECK_IN_DUE = "check_in_due", _("Weekly check-in")


class Notification(TenantModel):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "recipient", "read_at"])]

    def __str__(self) -> str:
        return self.message


class ReminderClaim(TenantModel):
    """One row per reminder that went out: (kind, subject, period, recipient) is
    unique, so retries and overlapping sweeps can never send it twice."""

    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    subject = models.CharField(max_length=64, help_text="What it is about, e.g. 'kpi:12'.")
    period = models.DateField()
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    run = models.CharField(max_length=36, help_text="The sweep run that made the claim.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "subject", "period", "recipient"], name="uniq_reminder_claim"
            ),
        ]
        indexes = [models.Index(fields=["run"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} {self.period} → {self.recipient_id}"
