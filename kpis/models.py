"""KPIs and their measurements (DESIGN §4).

A KPI is a steady, periodic health measure owned by the company, a team or a
person; a measurement is its value for one period, named by the period's
first day (unique per KPI). Status and achievement come from the pure math in
``objectives.progress``; periods from the pure ``kpis.periods``.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.provenance import Origin
from kpis import periods
from kpis import status as kpi_math
from orgs.models import Team, TenantModel
from orgs.ownership import OwnedMixin, OwnerType, owner_matches_level
from orgs.visibility import Restrictable

HISTORY_PERIODS = 12  # the sparkline and "last 12" lists


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher_is_better", _("Higher is better")
    LOWER_IS_BETTER = "lower_is_better", _("Lower is better")
    WITHIN_RANGE = "within_range", _("Within a range")


class Frequency(models.TextChoices):
    WEEKLY = periods.WEEKLY, _("Weekly")
    MONTHLY = periods.MONTHLY, _("Monthly")
    QUARTERLY = periods.QUARTERLY, _("Quarterly")
    YEARLY = periods.YEARLY, _("Yearly")


class Perspective(models.TextChoices):
    """Balanced-scorecard perspectives, in their usual order."""

    FINANCIAL = "financial", _("Financial")
    CUSTOMER = "customer", _("Customer")
    INTERNAL_PROCESS = "internal_process", _("Internal process")
    LEARNING_GROWTH = "learning_growth", _("Learning and growth")


class Kpi(OwnedMixin, Restrictable, TenantModel):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("why it matters"), blank=True)
    how_measured = models.TextField(_("how it is measured"), blank=True)
    owner_type = models.CharField(_("owner level"), max_length=16, choices=OwnerType.choices)
    owner_team = models.ForeignKey(
        Team, verbose_name=_("owner team"), null=True, blank=True, on_delete=models.PROTECT, related_name="kpis"
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kpis",
    )
    unit = models.CharField(_("unit"), max_length=24, blank=True)
    direction = models.CharField(
        _("direction"), max_length=20, choices=Direction.choices, default=Direction.HIGHER_IS_BETTER
    )
    target = models.FloatField(_("target"), null=True, blank=True)
    target_low = models.FloatField(_("lowest good value"), null=True, blank=True)
    target_high = models.FloatField(_("highest good value"), null=True, blank=True)
    amber_threshold = models.FloatField(_("amber threshold"), null=True, blank=True)
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency.choices, default=Frequency.MONTHLY)
    perspective = models.CharField(_("perspective"), max_length=20, choices=Perspective.choices)
    active = models.BooleanField(_("active"), default=True)
    # A formula KPI (kpis.formula): its value for a period is computed from other KPIs' values
    # for the same period, e.g. "kpi:12 / kpi:7 * 100". Empty: values are typed or pulled.
    formula = models.TextField(
        _("formula"),
        blank=True,
        help_text=_("An expression over other KPIs of the same frequency, such as kpi:12 / kpi:7 * 100."),
    )
    # A KPI that fills itself from a data source (the ``datasources`` room, above this one, owns
    # the pulls): ``source_query`` is the SQL query, the CSV column or the JSON path.
    source = models.ForeignKey(
        "datasources.DataSource",
        verbose_name=_("data source"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kpis",
    )
    source_query = models.TextField(
        _("query, column or path"),
        blank=True,
        help_text=_("SQL returning one number (with %(start)s and %(end)s), a CSV column, or a JSON path."),
    )
    # A CSV source's rows name their period in a column: the KPI may name its own (a sheet with
    # a "month" column for revenue and a "week" column for leads); empty: the source's.
    source_period_column = models.CharField(
        _("period column"),
        max_length=120,
        blank=True,
        help_text=_("CSV: the column naming each row's period for this KPI; empty to use the source's."),
    )
    tracking_since = models.DateField(
        _("tracking since"), help_text=_("Measurements can be recorded for periods from this date on.")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic locking: every definition edit bumps it; an edit made from an older
    # version is refused (core.validation.check_version).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["name", "id"]
        constraints = [
            owner_matches_level("kpi_owner_matches_level"),
            models.CheckConstraint(
                name="kpi_target_matches_direction",
                condition=(
                    models.Q(direction__in=["higher_is_better", "lower_is_better"], target__isnull=False)
                    | models.Q(
                        direction="within_range",
                        target_low__isnull=False,
                        target_high__isnull=False,
                        target_low__lte=models.F("target_high"),
                    )
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "perspective"]),
            models.Index(fields=["organization", "owner_team"]),
            models.Index(fields=["organization", "owner_user"]),
            models.Index(fields=["organization", "active"]),
        ]

    def __str__(self) -> str:
        return self.name

    # --- status math (DESIGN §4), delegated to the one pure module -----------------------------

    def status_for(self, value: float | None) -> str | None:
        """``green``/``amber``/``red`` for a value; None when there is no value."""
        if value is None:
            return None
        return kpi_math.kpi_status(
            direction=self.direction,
            value=value,
            target=self.target,
            amber_threshold=self.amber_threshold,
            target_low=self.target_low,
            target_high=self.target_high,
        ).value

    def achievement_for(self, value: float | None) -> float | None:
        """Achievement in [0, 1.5]; None when there is no value."""
        if value is None:
            return None
        return kpi_math.kpi_achievement(
            direction=self.direction,
            value=value,
            target=self.target,
            target_low=self.target_low,
            target_high=self.target_high,
        )

    # --- periods ---------------------------------------------------------------------------------

    def period_of(self, day: date, *, fiscal_year_start_month: int) -> date:
        return periods.period_start(day, frequency=self.frequency, fiscal_year_start_month=fiscal_year_start_month)

    # --- recent history (prefetched by ``kpis.selectors``; queried only as a fallback) -------------

    def recent(self) -> list[Measurement]:
        """Up to the last 12 measurements, newest period first."""
        cached = getattr(self, "recent_measurements", None)
        if cached is None:
            cached = list(self.measurements.order_by("-period")[:HISTORY_PERIODS])
            self.recent_measurements = cached
        return cached

    @property
    def latest(self) -> Measurement | None:
        recent = self.recent()
        return recent[0] if recent else None

    @property
    def latest_value(self) -> float | None:
        latest = self.latest
        return latest.value if latest else None

    @property
    def status(self) -> str | None:
        return self.status_for(self.latest_value)

    @property
    def achievement(self) -> float | None:
        return self.achievement_for(self.latest_value)

    def bands(self) -> list[tuple[float, float, str]]:
        """The value ranges to shade on a trend chart: ``(low, high, "green"|"amber")``."""
        amber = self.amber_threshold
        if self.direction == Direction.WITHIN_RANGE:
            low, high = self.target_low, self.target_high
            if low is None or high is None:
                return []
            out = [(low, high, "green")]
            if amber:
                out = [(low - amber, low, "amber"), *out, (high, high + amber, "amber")]
            return out
        if self.target is None or amber is None:
            return []
        return [(min(amber, self.target), max(amber, self.target), "amber")]


class Measurement(TenantModel):
    """A KPI's value for one period (the period's first day). One row per KPI and
    period: a second value for the same period corrects the row (the old value
    is kept in the activity log)."""

    visibility_paths = ("kpi__",)  # whom it follows: orgs.visibility.visible_scope
    kpi = models.ForeignKey(Kpi, verbose_name=_("KPI"), on_delete=models.CASCADE, related_name="measurements")
    period = models.DateField(_("period"))
    value = models.FloatField(_("value"))
    note = models.TextField(_("note"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Where the value came from (core.provenance): set by the service that wrote it.
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices, default=Origin.MANUAL)
    provenance = models.JSONField(_("provenance"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["kpi_id", "-period"]
        constraints = [
            # One value per KPI and period, whatever the organisation column says: the
            # KPI fixes the organisation, and reads are scoped through it (DESIGN §3).
            models.UniqueConstraint(fields=["kpi", "period"], name="uniq_measurement_kpi_period"),
        ]
        indexes = [models.Index(fields=["organization", "period"])]

    def __str__(self) -> str:
        return f"{self.kpi_id} @ {self.period}: {self.value}"


def period_label(start: date, *, frequency: str, fiscal_year_start_month: int = 1) -> str:
    """A period as people say it, in the active language: "November 2026", "Week 48, 2026",
    "Q3 2026" (fiscal quarters: "Q1 2026/27" when the year starts in April), "2026" / "FY 2026/27"."""
    year = periods.fiscal_year_name(start, fiscal_year_start_month=fiscal_year_start_month)
    if frequency == Frequency.WEEKLY:
        iso = start.isocalendar()
        return gettext("Week %(week)d, %(year)d") % {"week": iso.week, "year": iso.year}
    if frequency == Frequency.MONTHLY:
        return date_format(start, "YEAR_MONTH_FORMAT")
    if frequency == Frequency.QUARTERLY:
        quarter = periods.fiscal_quarter(start, fiscal_year_start_month=fiscal_year_start_month)
        return gettext("Q%(quarter)d %(year)s") % {"quarter": quarter, "year": year}
    if fiscal_year_start_month == 1:
        return year
    return gettext("FY %(year)s") % {"year": year}
