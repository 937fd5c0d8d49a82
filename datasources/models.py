"""Data sources (DESIGN §4, "DataSource"): where KPIs fill themselves from.

A source belongs to an organisation and is managed by its admins. Its settings that may
carry a secret — the DSN, the URL, request headers, the webhook's signing secret — are
kept encrypted in ``config_encrypted`` (``core.secrets``) and never shown again; the
host alone is kept in clear to name the source in lists.

``SourcePull`` is the claim of a scheduled pull (DESIGN §5): one row per KPI and period,
written in the same transaction as the value it pulled, so retries, two beats or a killed
worker never record a value twice.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgs.models import TenantModel


class SourceKind(models.TextChoices):
    SQL = "sql", _("SQL database (PostgreSQL or MySQL)")
    CSV_URL = "csv_url", _("Published CSV or sheet link")
    JSON_URL = "json_url", _("JSON document (https)")
    WEBHOOK = "webhook", _("Inbound webhook (the system pushes values)")


def new_token() -> str:
    return secrets.token_urlsafe(24)


class DataSource(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=SourceKind.choices)
    # Encrypted JSON: {"url", "dsn", "headers", "secret"} as the kind needs (core.secrets).
    config_encrypted = models.TextField(blank=True, default="")
    host = models.CharField(_("host"), max_length=255, blank=True)
    language = models.CharField(
        _("number format"),
        max_length=8,
        default="en",
        help_text=_("How the source writes numbers: en (1,234.5) or vi (1.234,5)."),
    )
    period_column = models.CharField(
        _("period column"),
        max_length=120,
        blank=True,
        help_text=_("CSV only: the column naming each row's period (a date); empty to take the last row."),
    )
    # The inbound webhook's address: /api/v1/integrations/sources/<token>/.
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    active = models.BooleanField(_("active"), default=True)
    failures = models.PositiveIntegerField(default=0)  # failed pulls in a row
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("data source")
        verbose_name_plural = _("data sources")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organization", "active"])]

    def __str__(self) -> str:
        return self.name


class PullStatus(models.TextChoices):
    RECORDED = "recorded", _("Recorded")
    UNCHANGED = "unchanged", _("Unchanged")
    CONFLICT = "conflict", _("A person's value was kept")
    FAILED = "failed", _("Failed")
    RESOLVED = "resolved", _("Resolved")


class SourcePull(TenantModel):
    """The claim of a scheduled pull of one KPI for one period (unique), with its outcome:
    recorded, a conflict with a person's value (the pulled value kept here for the owner
    to take or leave), or failed after its retries (shown in the owner's To do)."""

    kpi = models.ForeignKey("kpis.Kpi", on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(DataSource, null=True, on_delete=models.SET_NULL, related_name="pulls")
    period = models.DateField()
    status = models.CharField(max_length=16, choices=PullStatus.choices)
    value = models.FloatField(null=True, blank=True)
    raw = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kpi", "period"], name="uniq_source_pull_kpi_period")]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"{self.kpi_id} @ {self.period}: {self.status}"
