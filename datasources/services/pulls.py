"""Pulls: one number for one KPI and period, tried without saving (``source_test``),
pulled now by a person (``kpi_pull_now``) or by the sweep under a claim (``pull_claimed``).

Every value goes through ``kpis.services.measurement_record`` with its provenance (the
source, when, the raw value and its hash). A value a person gave for that period (typed,
imported, sent from chat or e-mail) is never overwritten: the pull is kept as a conflict
for the KPI's owner to take or leave.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.provenance import Origin, Provenance
from core.secrets import SecretUnreadable
from datasources.fetch import PullError
from datasources.models import DataSource, PullStatus, SourceKind, SourcePull
from datasources.pullers import Period, Pulled, pull_csv, pull_json
from datasources.services.sources import source_config
from kpis import periods
from kpis.models import Kpi, Measurement
from kpis.services import measurement_record
from orgs.models import Membership, Role, User

# Origins of a value a person gave: a pull never overwrites one.
PERSON_ORIGINS = frozenset({Origin.MANUAL, Origin.IMPORT, Origin.CHAT, Origin.EMAIL})
PAUSE_AFTER_FAILURES = 5  # failed pulls in a row before the source is paused


def period_of(kpi: Kpi, day: date) -> Period:
    fsm = kpi.organization.fiscal_year_start_month
    start = kpi.period_of(day, fiscal_year_start_month=fsm)
    return Period(
        start=start,
        end=periods.period_end(start, frequency=kpi.frequency),
        frequency=kpi.frequency,
        fiscal_year_start_month=fsm,
    )


def pull_once(source: DataSource, *, query: str, period: Period, period_column: str = "") -> Pulled:
    """Read the number once (no saving); ``PullError`` in plain words when it cannot. A CSV's
    rows are matched to the period by ``period_column`` (the KPI's own), else the source's."""
    try:
        config = source_config(source)
    except SecretUnreadable:
        raise PullError(_("The source's settings cannot be read with the current key; save them again.")) from None
    if source.kind == SourceKind.CSV_URL:
        return pull_csv(
            config,
            column=query,
            period=period,
            language=source.language,
            period_column=period_column or source.period_column,
        )
    if source.kind == SourceKind.JSON_URL:
        return pull_json(config, path=query, period=period, language=source.language)
    if source.kind == SourceKind.SQL:
        from datasources.sql import pull_sql

        return pull_sql(config, query=query, period=period)
    raise PullError(_("A webhook source is not pulled: the system pushes its values."))


@dataclass(frozen=True)
class TestResult:
    period: date
    elapsed_ms: int
    raw: str = ""
    value: float | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def source_test(*, source: DataSource, query: str, kpi: Kpi | None = None, today: date | None = None) -> TestResult:
    """Run the pull for the current period (the KPI's, or the month's) without saving:
    the raw value, the number read from it and the time it took, or the error."""
    day = today or source.organization.today()
    period = (
        period_of(kpi, day)
        if kpi is not None
        else Period(
            start=day.replace(day=1),
            end=periods.period_end(day.replace(day=1), frequency="monthly"),
            frequency="monthly",
        )
    )
    started = time.monotonic()
    try:
        pulled = pull_once(
            source, query=query, period=period, period_column=kpi.source_period_column if kpi is not None else ""
        )
    except PullError as exc:
        return TestResult(period=period.start, elapsed_ms=_ms(started), error=str(exc))
    return TestResult(period=period.start, elapsed_ms=_ms(started), raw=pulled.raw, value=pulled.value)


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


@dataclass(frozen=True)
class PullOutcome:
    status: str  # a PullStatus value
    value: float | None = None
    measurement: Measurement | None = None
    error: str = ""


def record_pulled(
    kpi: Kpi, *, source: DataSource | None, period: date, pulled: Pulled, origin: str = Origin.SOURCE
) -> PullOutcome:
    """Record a pulled value unless a person gave one for the period (a conflict then)."""
    existing = Measurement.objects.filter(kpi=kpi, period=period).first()
    if existing is not None and existing.origin in PERSON_ORIGINS:
        if existing.value == pulled.value:
            return PullOutcome(PullStatus.UNCHANGED, pulled.value, existing)
        return PullOutcome(PullStatus.CONFLICT, pulled.value, existing)
    came = Provenance(
        origin=origin,
        source=source.pk if source else None,
        source_name=source.name if source else "",
        fetched_at=timezone.now(),
        raw=pulled.raw,
    )
    result = measurement_record(kpi=kpi, actor=None, period=period, value=pulled.value, provenance=came)
    return PullOutcome(
        PullStatus.RECORDED if result.changed else PullStatus.UNCHANGED, pulled.value, result.measurement
    )


def kpi_pull_now(*, kpi: Kpi, actor: User | None, today: date | None = None) -> PullOutcome:
    """Pull the KPI's current period now (a person asked): recorded, or a conflict with a
    person's value, or the error (noted on the source). Takes no claim: the sweep still
    pulls the period once it has ended, for its final value."""
    source = kpi.source
    if source is None or source.kind == SourceKind.WEBHOOK:
        return PullOutcome(PullStatus.FAILED, error=_("This KPI is not pulled from a source."))
    period = period_of(kpi, today or kpi.organization.today())
    try:
        pulled = pull_once(source, query=kpi.source_query, period=period, period_column=kpi.source_period_column)
    except PullError as exc:
        note_run(source, error=str(exc))
        return PullOutcome(PullStatus.FAILED, error=str(exc))
    with transaction.atomic():
        outcome = record_pulled(kpi, source=source, period=period.start, pulled=pulled)
        if outcome.status == PullStatus.CONFLICT:
            _keep_conflict(kpi, source, period.start, pulled)
    note_run(source, error="")
    return outcome


def _keep_conflict(kpi: Kpi, source: DataSource, period: date, pulled: Pulled) -> None:
    SourcePull.objects.update_or_create(
        kpi=kpi,
        period=period,
        defaults={
            "organization_id": kpi.organization_id,
            "source": source,
            "status": PullStatus.CONFLICT,
            "value": pulled.value,
            "raw": pulled.raw[:500],
            "error": "",
        },
    )


def pull_claimed(*, kpi_id: int, period: date, final: bool) -> str:
    """The sweep's pull of one KPI for one period, exactly once: the claim row (unique per
    KPI and period) is inserted in the same transaction as the value, so a retry, a second
    sweep or a worker killed mid-pull finds it and records nothing; a concurrent one waits
    on the unique index until the first commits. A failure rolls the claim back, for the
    retry; the ``final`` failure is kept as a failed claim (the owner's To do)."""
    kpi = Kpi.objects.select_related("organization", "source").filter(pk=kpi_id).first()
    if kpi is None or kpi.source is None or not kpi.source.active:
        return "skipped"
    source = kpi.source
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    claim = SourcePull.objects.create(
                        organization_id=kpi.organization_id,
                        kpi=kpi,
                        source=source,
                        period=period,
                        status=PullStatus.RECORDED,
                    )
            except IntegrityError:
                return "claimed"
            pulled = pull_once(
                source,
                query=kpi.source_query,
                period=period_of(kpi, period),
                period_column=kpi.source_period_column,
            )
            outcome = record_pulled(kpi, source=source, period=period, pulled=pulled)
            claim.status, claim.value, claim.raw = outcome.status, pulled.value, pulled.raw[:500]
            claim.save(update_fields=["status", "value", "raw"])
    except PullError as exc:
        note_run(source, error=str(exc))
        if final:
            SourcePull.objects.get_or_create(
                kpi=kpi,
                period=period,
                defaults={
                    "organization_id": kpi.organization_id,
                    "source": source,
                    "status": PullStatus.FAILED,
                    "error": str(exc)[:1000],
                },
            )
            return PullStatus.FAILED
        raise
    note_run(source, error="")
    return outcome.status


def note_run(source: DataSource, *, error: str, now: datetime | None = None) -> None:
    """Record a run on the source: success resets its failure count; a failure sets
    ``last_error``, and after ``PAUSE_AFTER_FAILURES`` in a row pauses it and tells the
    organisation's admins (as a channel that keeps failing is paused)."""
    now = now or timezone.now()
    if not error:
        DataSource.objects.filter(pk=source.pk).update(failures=0, last_run_at=now, last_success_at=now, last_error="")
        return
    DataSource.objects.filter(pk=source.pk).update(failures=F("failures") + 1, last_run_at=now, last_error=error[:1000])
    with transaction.atomic():
        paused = DataSource.objects.filter(pk=source.pk, active=True, failures__gte=PAUSE_AFTER_FAILURES).update(
            active=False, paused_at=now
        )
        if paused:
            _tell_admins_paused(source)


def _tell_admins_paused(source: DataSource) -> None:
    from django.urls import reverse

    from notifications.models import NotificationKind
    from notifications.services import notification_send

    org = source.organization
    url = reverse("datasources:list", kwargs={"slug": org.slug})
    admins = Membership.objects.filter(organization=org, role=Role.ADMIN).select_related("user")
    with translation.override(org.language):
        message = _("The data source “%(name)s” failed %(n)d times in a row and was paused.") % {
            "name": source.name,
            "n": PAUSE_AFTER_FAILURES,
        }
    for membership in admins:
        notification_send(
            org=org, recipient=membership.user, kind=NotificationKind.CHANNEL_PAUSED, message=message, url=url
        )


@transaction.atomic
def pull_resolve(*, pull: SourcePull, actor: User, action: str) -> PullOutcome:
    """The KPI owner's answer to a pull waiting for them: ``take`` the pulled value over the
    typed one (recorded with the source's provenance), ``keep`` the typed one, or ``retry`` a
    failed pull now (its claim given back, so the same exactly-once pull runs again)."""
    pull = (
        SourcePull.objects.select_for_update(of=("self",)).select_related("kpi__organization", "source").get(pk=pull.pk)
    )
    kpi = pull.kpi
    if action == "retry" and pull.status == PullStatus.FAILED:
        pull.delete()
        status = pull_claimed(kpi_id=kpi.pk, period=pull.period, final=True)
        return PullOutcome(status)
    if action == "take" and pull.status == PullStatus.CONFLICT and pull.value is not None:
        came = Provenance(
            origin=Origin.SOURCE,
            source=pull.source_id,
            source_name=pull.source.name if pull.source else "",
            fetched_at=pull.created_at,
            raw=pull.raw,
            who=actor.pk,
            who_name=actor.display_name,
        )
        measurement_record(kpi=kpi, actor=actor, period=pull.period, value=pull.value, provenance=came)
    pull.status = PullStatus.RESOLVED
    pull.save(update_fields=["status"])
    return PullOutcome(PullStatus.RESOLVED, pull.value)
