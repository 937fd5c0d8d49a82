"""Importing past measurements from a CSV file: preview, then an all-or-nothing import."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from activity.models import ActivityEntry
from activity.services import activity_record
from core.ids import parse_id
from core.numbers import parse_number, unit_aliases
from core.provenance import Origin, Provenance
from kpis import csvfile
from kpis.models import Kpi, Measurement
from kpis.services._helpers import MAX_NOTE
from kpis.services.formulas import formulas_follow
from kpis.services.measurements import check_period, measurement_state, unusual_message
from kpis.signals import send_measurements_changed
from orgs.models import Organization, User

# --- CSV import ---------------------------------------------------------------------------------


@dataclass
class ImportRow:
    line: int
    kpi_text: str
    period_text: str
    value_text: str
    note: str
    kpi: Kpi | None = None
    period: date | None = None
    value: float | None = None
    previous: Measurement | None = None
    errors: list[str] = field(default_factory=list)
    # Why the value looks like a slip of the keyboard against the KPI's last value (the
    # guard of the value typed on the page): imported only once the person confirms it.
    unusual: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def action(self) -> str:
        """``new``, ``correction``, ``unchanged`` or ``error``."""
        if self.errors:
            return "error"
        if self.previous is None:
            return "new"
        if self.previous.value == self.value and (not self.note or self.previous.note == self.note):
            return "unchanged"
        return "correction"


@dataclass
class ImportPreview:
    rows: list[ImportRow]
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def good(self) -> list[ImportRow]:
        return [r for r in self.rows if r.ok]

    @property
    def bad(self) -> list[ImportRow]:
        return [r for r in self.rows if not r.ok]

    @property
    def flagged(self) -> list[ImportRow]:
        """Good rows whose value looks unusual: imported only when confirmed."""
        return [r for r in self.rows if r.ok and r.unusual and r.action != "unchanged"]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


@dataclass(frozen=True)
class ImportResult:
    created: int
    corrected: int
    unchanged: int
    skipped: int


def _resolve(
    org: Organization,
    raw_rows: list[dict[str, str]],
    *,
    allowed: Callable[[Kpi], bool] | None,
    today: date,
    lock: bool,
) -> list[ImportRow]:
    """Turn raw rows into checked rows: three queries (KPIs, existing measurements,
    and with ``lock`` the KPI rows locked) whatever the number of rows."""
    kpis = _KpiIndex(list(Kpi.objects.filter(organization=org).select_related("owner_team", "owner_user")))
    rows: list[ImportRow] = []
    for raw in raw_rows:
        row = ImportRow(
            line=int(raw["__line__"]),
            kpi_text=raw.get("kpi", ""),
            period_text=raw.get("period", ""),
            value_text=raw.get("value", ""),
            note=raw.get("note", ""),
        )
        _check_kpi(row, raw.get("kpi_id", ""), kpis)
        if row.kpi is not None and allowed is not None and not allowed(row.kpi):
            row.errors.append(_("You cannot record measurements for this KPI."))
        _check_value(row)
        if len(row.note) > MAX_NOTE:
            row.errors.append(_("The note is longer than %(n)d characters.") % {"n": MAX_NOTE})
        _check_row_period(row, fiscal_year_start_month=org.fiscal_year_start_month, today=today)
        rows.append(row)
    seen = _mark_duplicates(rows)
    kpi_ids = {k for k, _p in seen}
    if lock and kpi_ids:
        list(Kpi.objects.select_for_update().filter(organization=org, pk__in=kpi_ids).values_list("pk", flat=True))
    if kpi_ids:
        _attach_previous(org, rows, kpi_ids=kpi_ids, periods={p for _k, p in seen})
        _flag_unusual(org, rows, kpi_ids=kpi_ids)
    return rows


def _flag_unusual(org: Organization, rows: list[ImportRow], *, kpi_ids: set[int]) -> None:
    """Flag each good row whose value looks like a slip of the keyboard against the KPI's
    value just before its period — from the file when it has that period, else stored —
    by the rule of the page (``measurements.unusual_message``). One query for every row."""
    values: dict[int, dict[date, float]] = {}
    for kpi_id, period, value in Measurement.objects.filter(organization=org, kpi_id__in=kpi_ids).values_list(
        "kpi_id", "period", "value"
    ):
        values.setdefault(kpi_id, {})[period] = value
    for row in rows:  # the file's values replace the stored ones they correct
        if row.ok and row.kpi is not None and row.period is not None and row.value is not None:
            values.setdefault(row.kpi.pk, {})[row.period] = row.value
    for row in rows:
        if not row.ok or row.kpi is None or row.period is None or row.value is None:
            continue
        history = values.get(row.kpi.pk, {})
        earlier = [p for p in history if p < row.period]
        later = [p for p in history if p > row.period]
        last = history[max(earlier)] if earlier else history[min(later)] if later else None
        row.unusual = unusual_message(row.kpi, last=last, value=row.value) or ""


class _KpiIndex:
    """The organisation's KPIs by id and by case-insensitive name."""

    def __init__(self, kpis: list[Kpi]) -> None:
        self.by_id = {k.pk: k for k in kpis}
        self.by_name: dict[str, list[Kpi]] = {}
        for k in kpis:
            self.by_name.setdefault(k.name.strip().casefold(), []).append(k)


def _check_kpi(row: ImportRow, kpi_id: str, kpis: _KpiIndex) -> None:
    """The row's KPI, by the kpi_id column when there is one, else by a name that is unique."""
    if kpi_id:
        row.kpi = kpis.by_id.get(parse_id(kpi_id))  # type: ignore[arg-type]
        if row.kpi is None:
            row.errors.append(_("Unknown KPI id %(id)s.") % {"id": kpi_id[:20]})
        return
    if not row.kpi_text:
        row.errors.append(_("The KPI is missing."))
        return
    matches = kpis.by_name.get(row.kpi_text.casefold(), [])
    if not matches:
        row.errors.append(_("Unknown KPI “%(name)s”.") % {"name": row.kpi_text[:80]})
    elif len(matches) > 1:
        row.errors.append(
            _("Several KPIs are called “%(name)s”; add a kpi_id column to say which.") % {"name": row.kpi_text[:80]}
        )
    else:
        row.kpi = matches[0]


def _check_value(row: ImportRow) -> None:
    if not row.value_text:
        row.errors.append(_("The value is missing."))
        return
    # In the importer's language: "171,000" in English, "171.000" or "4,5" in Vietnamese.
    try:
        row.value = parse_number(row.value_text, units=unit_aliases(row.kpi.unit if row.kpi else ""))
    except ValidationError as exc:
        row.errors.extend(exc.messages)


def _check_row_period(row: ImportRow, *, fiscal_year_start_month: int, today: date) -> None:
    if not row.period_text:
        row.errors.append(_("The period is missing."))
    elif row.kpi is not None:
        try:
            row.period = check_period(
                row.kpi, row.period_text, fiscal_year_start_month=fiscal_year_start_month, today=today
            )
        except ValidationError as exc:
            row.errors.extend(exc.messages)


def _mark_duplicates(rows: list[ImportRow]) -> dict[tuple[int, date], int]:
    """The second row for a KPI and period in the same file is an error. Returns
    {(KPI id, period): first line} of the rows that have both."""
    seen: dict[tuple[int, date], int] = {}
    for row in rows:
        if row.kpi is None or row.period is None:
            continue
        key = (row.kpi.pk, row.period)
        if key in seen:
            row.errors.append(_("Same KPI and period as line %(line)d.") % {"line": seen[key]})
        else:
            seen[key] = row.line
    return seen


def _attach_previous(org: Organization, rows: list[ImportRow], *, kpi_ids: set[int], periods: set[date]) -> None:
    """The measurement each row would correct, if any (one query)."""
    existing = {
        (m.kpi_id, m.period): m
        for m in Measurement.objects.filter(organization=org, kpi_id__in=kpi_ids, period__in=periods)
    }
    for row in rows:
        if row.kpi is not None and row.period is not None:
            row.previous = existing.get((row.kpi.pk, row.period))


def measurement_import_preview(
    *,
    org: Organization,
    data: bytes | str,
    filename: str = "",
    allowed: Callable[[Kpi], bool] | None = None,
    today: date | None = None,
) -> ImportPreview:
    """Read and check a CSV of measurements (columns ``kpi``, ``period``, ``value``,
    optional ``note`` and ``kpi_id``) without writing anything. File-level problems
    (not CSV, wrong columns, empty, too big) raise ``ValidationError`` on ``file``;
    row problems are reported on each row."""
    raw_rows, ignored = csvfile.read_rows(data, filename)
    preview = measurement_rows_preview(org=org, raw_rows=raw_rows, allowed=allowed, today=today)
    preview.ignored_columns = ignored
    return preview


def measurement_rows_preview(
    *,
    org: Organization,
    raw_rows: list[dict[str, str]],
    allowed: Callable[[Kpi], bool] | None = None,
    today: date | None = None,
) -> ImportPreview:
    """Check rows already read from a file (``kpi``, ``period``, ``value``, ``note``,
    ``kpi_id`` and ``__line__``, as ``csvfile.read_rows`` gives them): the one check of
    measurements, for this page's CSV and every file of the import pipeline alike."""
    rows = _resolve(org, raw_rows, allowed=allowed, today=today or org.today(), lock=False)
    return ImportPreview(rows=rows)


@transaction.atomic
def measurement_import(
    *,
    org: Organization,
    actor: User | None,
    data: bytes | str,
    filename: str = "",
    only_good_rows: bool = False,
    confirm_unusual: bool = False,
    allowed: Callable[[Kpi], bool] | None = None,
    today: date | None = None,
) -> ImportResult:
    """Import a CSV of measurements, all or nothing: with any bad row nothing is
    written (``ValidationError`` on ``rows``) unless ``only_good_rows``. A value that
    looks like a slip of the keyboard (``ImportPreview.flagged``) counts as a bad row
    unless ``confirm_unusual``: the person saw the flag and says it is right. New periods
    are inserted, existing ones corrected (the old value goes to the activity log),
    identical ones left alone. The KPIs concerned are locked for the duration, as
    in ``measurement_record``; the writes are set-based (one insert for the new
    rows, one update per correction, one insert for the activity entries)."""
    raw_rows, _ignored = csvfile.read_rows(data, filename)
    return measurement_rows_import(
        org=org,
        actor=actor,
        raw_rows=raw_rows,
        only_good_rows=only_good_rows,
        confirm_unusual=confirm_unusual,
        allowed=allowed,
        today=today,
        provenance=import_provenance(actor, filename),
    )


def import_provenance(actor: User | None, filename: str) -> Provenance:
    """An imported value's provenance: who imported it, from which file."""
    return Provenance(
        origin=Origin.IMPORT,
        who=actor.pk if actor else None,
        who_name=actor.display_name if actor else "",
        file=filename[:200],
    )


@transaction.atomic
def measurement_rows_import(
    *,
    org: Organization,
    actor: User | None,
    raw_rows: list[dict[str, str]],
    only_good_rows: bool = False,
    confirm_unusual: bool = False,
    allowed: Callable[[Kpi], bool] | None = None,
    today: date | None = None,
    provenance: Provenance | None = None,
) -> ImportResult:
    """``measurement_import`` of rows already read from a file (see ``measurement_rows_preview``).
    ``provenance``: where the values came from (``import_provenance``; by default the file
    is not named)."""
    rows = _resolve(org, raw_rows, allowed=allowed, today=today or org.today(), lock=True)
    bad = _bad_rows(rows, only_good_rows=only_good_rows, confirm_unusual=confirm_unusual)
    came = provenance or import_provenance(actor, "")
    new, entries, corrected, unchanged = _write_rows(org, actor, rows, came)
    Measurement.objects.bulk_create(new)
    ActivityEntry.objects.bulk_create(entries)
    send_measurements_changed(org_id=org.pk, kpi_ids={r.kpi.pk for r in rows if r.ok and r.kpi is not None})
    for period in sorted({r.period for r in rows if r.ok and r.period is not None}):
        written = {r.kpi.pk for r in rows if r.ok and r.kpi is not None and r.period == period}
        formulas_follow(org_id=org.pk, kpi_ids=written, period=period)
    if new or corrected:
        activity_record(
            org=org,
            actor=actor,
            verb="measurements.imported",
            target_type="kpis.measurement",
            after={"created": len(new), "corrected": corrected, "unchanged": unchanged, "skipped": len(bad)},
        )
    return ImportResult(created=len(new), corrected=corrected, unchanged=unchanged, skipped=len(bad))


def _bad_rows(rows: list[ImportRow], *, only_good_rows: bool, confirm_unusual: bool) -> list[ImportRow]:
    """The rows to skip (bad ones, and unusual ones unless confirmed, which get the flag as
    their error); with any and without ``only_good_rows``, a ``ValidationError`` on ``rows``."""
    bad = [r for r in rows if not r.ok]
    flagged = [] if confirm_unusual else ImportPreview(rows=rows).flagged
    if flagged and not only_good_rows and not bad:
        raise ValidationError(
            {
                "rows": ngettext(
                    "%(n)d value looks unusual, so nothing was imported. Check it: if it is right, tick “The "
                    "flagged values are right”; if not, fix the file.",
                    "%(n)d values look unusual, so nothing was imported. Check them: if they are right, tick “The "
                    "flagged values are right”; if not, fix the file.",
                    len(flagged),
                )
                % {"n": len(flagged)}
            }
        )
    for row in flagged:  # with only the good rows: skipped like the bad ones
        row.errors.append(row.unusual)
    bad += flagged
    if bad and not only_good_rows:
        raise ValidationError(
            {
                "rows": ngettext(
                    "%(n)d row has errors, so nothing was imported. Fix it, or choose to import only the good rows.",
                    "%(n)d rows have errors, so nothing was imported. "
                    "Fix them, or choose to import only the good rows.",
                    len(bad),
                )
                % {"n": len(bad)}
            }
        )
    return bad


def _write_rows(
    org: Organization, actor: User | None, rows: list[ImportRow], came: Provenance
) -> tuple[list[Measurement], list[ActivityEntry], int, int]:
    """The good rows: corrections saved one by one; the new measurements and every activity
    entry returned for one bulk insert each, with the counts of corrected and unchanged rows."""
    new: list[Measurement] = []
    entries: list[ActivityEntry] = []
    corrected = unchanged = 0
    for row in rows:
        if not row.ok or row.kpi is None or row.period is None or row.value is None:
            continue
        action = row.action
        if action == "unchanged":
            unchanged += 1
            continue
        if action == "new":
            new.append(
                Measurement(
                    organization=org,
                    kpi=row.kpi,
                    period=row.period,
                    value=row.value,
                    note=row.note,
                    author=actor,
                    origin=came.origin,
                    provenance=came.as_json(),
                )
            )
            entries.append(_entry(org, actor, "measurement.recorded", row.kpi, None, _row_state(row)))
            continue
        m = row.previous
        if m is None:  # pragma: no cover — "correction" implies a previous row
            continue
        before = measurement_state(m)
        m.value, m.author = row.value, actor
        m.origin, m.provenance = came.origin, came.as_json()
        if row.note:
            m.note = row.note
        m.save(update_fields=["value", "note", "author", "origin", "provenance", "updated_at"])
        entries.append(_entry(org, actor, "measurement.corrected", row.kpi, before, measurement_state(m)))
        corrected += 1
    return new, entries, corrected, unchanged


def _row_state(row: ImportRow) -> dict[str, Any]:
    return {
        "period": row.period.isoformat() if row.period else None,
        "value": row.value,
        "note": row.note,
        "author": None,
        "origin": Origin.IMPORT.value,
    }


def _entry(
    org: Organization,
    actor: User | None,
    verb: str,
    kpi: Kpi,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> ActivityEntry:
    """The same entry ``activity_record`` writes, built for one bulk insert."""
    if after is not None and actor is not None and "author" in after:
        after = {**after, "author": actor.pk}
    return ActivityEntry(
        organization=org,
        actor=actor,
        verb=verb,
        target_type=kpi._meta.label_lower,
        target_id=kpi.pk,
        target_repr=str(kpi)[:255],
        before=before,
        after=after,
    )
