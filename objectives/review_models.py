"""The approval log (DESIGN §3): every submission, approval, request for changes and return
to review of an objective, with who, when, the comment or reason, and the coach's score and
findings as they stood when it was submitted (frozen: later edits do not rewrite them)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgs.models import TenantModel


def _now() -> datetime:
    return timezone.now()  # read when the row is written, so tests that pin the clock see it


class ReviewAction(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted for review")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    REOPENED = "reopened", _("Sent back to review")


class ObjectiveReview(TenantModel):
    objective = models.ForeignKey("objectives.Objective", on_delete=models.CASCADE, related_name="reviews")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=20, choices=ReviewAction.choices)
    comment = models.TextField(_("comment"), blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # What the coach said when it was submitted (submissions and returns to review only).
    coach_score = models.PositiveSmallIntegerField(_("coach's score"), null=True, blank=True)
    coach_findings = models.JSONField(_("coach's findings"), default=list, blank=True)
    created_at = models.DateTimeField(default=_now, db_index=True)

    class Meta:
        verbose_name = _("objective review")
        verbose_name_plural = _("objective reviews")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organization", "objective", "created_at"])]

    def __str__(self) -> str:
        return f"{self.action} of objective {self.objective_id}"
