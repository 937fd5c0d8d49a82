"""Imports and their stable keys.

An ``ImportRun`` is one uploaded file: its kind, the file itself, the dry run's
result and, once applied, the counts. An ``ImportedKey`` remembers which object a
row of a kind created, under the row's external key (the file's id column, or a
hash of its natural key), so that applying the same file again finds the same
objects and changes nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orgs.models import TenantModel


class ImportKind(models.TextChoices):
    OKRS = "okrs", _("OKRs")
    PEOPLE = "people", _("People")
    KPIS = "kpis", _("KPI definitions")
    MEASUREMENTS = "measurements", _("KPI values")
    ORGANIZATION = "organization", _("Whole organisation")
    VIVA_GOALS = "viva_goals", _("Viva Goals export")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be checked")
    CHECKING = "checking", _("Being checked")
    CHECKED = "checked", _("Checked")
    APPLYING = "applying", _("Being applied")
    APPLIED = "applied", _("Applied")
    FAILED = "failed", _("Failed")


class ImportRun(TenantModel):
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    data = models.BinaryField(editable=False)
    size = models.PositiveIntegerField(default=0)
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    dry_run = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    # When its check or apply last started: a run still at work long after its task's time
    # limit has no worker left (``services.import_run_progress`` shows it as failed).
    started_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-id"]
        indexes = [models.Index(fields=["organization", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.filename}"

    @property
    def progress_percent(self) -> int:
        if not self.rows_total:
            return 100 if self.status in (ImportStatus.CHECKED, ImportStatus.APPLIED) else 0
        return min(100, round(100 * self.rows_done / self.rows_total))


class ImportedKey(TenantModel):
    """Row ``key`` of ``kind`` made or updated object ``object_id`` of ``model``."""

    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    key = models.CharField(max_length=255)
    model = models.CharField(max_length=64)
    object_id = models.BigIntegerField()
    fingerprint = models.CharField(max_length=64, blank=True)
    run = models.ForeignKey(ImportRun, null=True, on_delete=models.SET_NULL, related_name="keys")
    # An objective from a tool without the limit of five key results: how many of its key
    # results past the fifth came in as initiatives (the coach's finding while it is a draft).
    key_results_set_aside = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind", "model", "key"], name="uniq_imported_key"),
        ]
        # What an object came from (its page, the coach): found by the object, not by the key.
        indexes = [models.Index(fields=["organization", "model", "object_id"], name="imported_key_by_object")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} → {self.model}:{self.object_id}"
