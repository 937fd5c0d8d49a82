"""Formula KPIs: the formula checked when it is saved, and its value recomputed when an
input gets a value (and by the pull sweep, ``formula_recompute``).

A formula reads only KPIs of the same organisation and frequency (their periods are the
same days), never itself, and no chain of formulas comes back to where it started.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from activity.services import activity_record
from core.provenance import Origin, Provenance
from kpis import formula as formula_math
from kpis.models import Kpi, Measurement
from kpis.signals import send_measurements_changed
from orgs.models import Organization


def clean_formula(*, org: Organization, text: str, kpi: Kpi | None, frequency: str) -> str:
    """The formula as stored ("" for none), or ``ValidationError`` on ``formula``: it does not
    parse, names an unknown or foreign KPI, one of another frequency, itself, or closes a
    cycle through other formulas."""
    text = (text or "").strip()
    if not text:
        return ""
    try:
        refs = formula_math.references(formula_math.parse(text))
    except formula_math.FormulaError as exc:
        raise ValidationError({"formula": str(exc)}) from None
    if not refs:
        raise ValidationError({"formula": _("A formula reads at least one KPI, written kpi:<id>.")})
    found = {k.pk: k for k in Kpi.objects.filter(organization=org, pk__in=refs)}
    missing = sorted(refs - set(found))
    if missing:
        raise ValidationError({"formula": _("Unknown KPI: kpi:%(id)d.") % {"id": missing[0]}})
    if kpi is not None and kpi.pk in refs:
        raise ValidationError({"formula": _("A formula cannot read its own KPI.")})
    for ref in found.values():
        if ref.frequency != frequency:
            raise ValidationError(
                {
                    "formula": _(
                        "kpi:%(id)d (%(name)s) is measured %(freq)s; a formula reads KPIs of its own frequency."
                    )
                    % {"id": ref.pk, "name": ref.name, "freq": ref.get_frequency_display().lower()}
                }
            )
    if kpi is not None:
        _check_no_cycle(org, kpi.pk, refs)
    return text


# Checks of a KPI's columns against a sample of its source, registered by the ``datasources``
# room (above this one): each is called as check(source, value_column, period_column) and
# raises ``ValidationError`` naming the field.
SOURCE_COLUMN_CHECKS: list[Callable[[Any, str, str], None]] = []


def clean_source(
    *, org: Organization, kpi: Kpi, source: Any, query: str, period_column: str = ""
) -> tuple[Any, str, str]:
    """Where a KPI's values come from: a data source of the organisation (the ``datasources``
    room's, read here by the KPI's own foreign key), its query, column or path, and (CSV) its
    own period column, or neither. A formula KPI is computed, so it names no source. A KPI
    that names its own period column has both its columns checked against a sample of the
    sheet (``SOURCE_COLUMN_CHECKS``)."""
    query = (query or "").strip()
    period_column = (period_column or "").strip()
    if source is None:
        return None, "" if not query else query[:4000], ""
    if source.organization_id != org.pk:
        raise ValidationError({"source": _("Unknown data source.")})
    if kpi.formula:
        raise ValidationError({"source": _("A formula KPI is computed from other KPIs; it takes no data source.")})
    if source.kind != "webhook" and not query:
        raise ValidationError({"source_query": _("Say what to read: the SQL query, the CSV column or the JSON path.")})
    if len(query) > 4000:
        raise ValidationError({"source_query": _("Keep it under 4,000 characters.")})
    if period_column:
        if source.kind != "csv_url":
            raise ValidationError({"source_period_column": _("Only a CSV source has a period column.")})
        if len(period_column) > 120:
            raise ValidationError({"source_period_column": _("Keep it under 120 characters.")})
        for check in SOURCE_COLUMN_CHECKS:
            check(source, query, period_column)
    return source, query, period_column


def _check_no_cycle(org: Organization, kpi_id: int, refs: set[int]) -> None:
    """Refuse a formula for ``kpi_id`` reading ``refs`` when one of them reads ``kpi_id``
    back, through any chain of formulas (the organisation's formulas, read in one query)."""
    graph: dict[int, set[int]] = {}
    for pk, text in Kpi.objects.filter(organization=org).exclude(formula="").values_list("pk", "formula"):
        try:
            graph[pk] = formula_math.references(formula_math.parse(text))
        except formula_math.FormulaError:
            graph[pk] = set()
    graph[kpi_id] = set(refs)
    seen: set[int] = set()
    stack = list(refs)
    while stack:
        node = stack.pop()
        if node == kpi_id:
            raise ValidationError({"formula": _("This formula would read its own value through other formulas.")})
        if node in seen:
            continue
        seen.add(node)
        stack.extend(graph.get(node, ()))


def formula_value(kpi: Kpi, *, period: date) -> tuple[float, dict[str, float]]:
    """The formula's value for a period and its inputs (``{"kpi:<id>": value}``).
    ``formula.MissingInput`` when an input has no value then, or is switched off (an input
    that was deleted has none); ``FormulaError`` on a division by zero."""
    tree = formula_math.parse(kpi.formula)
    refs = formula_math.references(tree)
    values = dict(
        Measurement.objects.filter(
            organization_id=kpi.organization_id, kpi_id__in=refs, kpi__active=True, period=period
        ).values_list("kpi_id", "value")
    )
    result = formula_math.evaluate(tree, values)
    return result, {f"kpi:{pk}": values[pk] for pk in sorted(refs)}


def formula_recompute(*, kpi: Kpi, period: date) -> Measurement | None:
    """Record the formula KPI's value for ``period`` from its inputs (origin ``formula``, the
    inputs in its provenance). Nothing is recorded when an input has no value, the formula
    divides by zero, or a person typed this period's value (a person's value wins); a value
    the formula computed before is then removed, the activity log saying why."""
    from kpis.services.measurements import measurement_record

    if not kpi.formula:
        return None
    existing = Measurement.objects.filter(kpi=kpi, period=period).first()
    try:
        value, inputs = formula_value(kpi, period=period)
    except formula_math.FormulaError as exc:
        if existing is not None and existing.origin == Origin.FORMULA:
            _remove_computed(kpi, existing, reason=str(exc))
        return None
    if existing is not None and existing.origin != Origin.FORMULA:
        return None
    came = Provenance(origin=Origin.FORMULA, formula=kpi.formula, inputs=inputs)
    return measurement_record(kpi=kpi, actor=None, period=period, value=value, provenance=came).measurement


def _remove_computed(kpi: Kpi, measurement: Measurement, *, reason: str) -> None:
    """A computed value whose inputs are gone: deleted, logged as ``measurement.deleted`` with
    its provenance and the reason, and the formulas reading this KPI follow."""
    from kpis.services.measurements import measurement_state

    before = {**measurement_state(measurement), "provenance": measurement.provenance}
    activity_record(
        org=kpi.organization,
        actor=None,
        verb="measurement.deleted",
        target=kpi,
        before=before,
        after={"reason": reason},
    )
    period = measurement.period
    measurement.delete()
    send_measurements_changed(org_id=kpi.organization_id, kpi_ids=[kpi.pk])
    formulas_follow(org_id=kpi.organization_id, kpi_ids={kpi.pk}, period=period)


def formulas_follow(*, org_id: int, kpi_ids: set[int], period: date) -> None:
    """The formula KPIs reading any of ``kpi_ids`` recompute ``period`` (each records through
    ``measurement_record``, which brings its own readers along: formulas are acyclic)."""
    formulas_follow_periods(org_id=org_id, kpi_ids=kpi_ids, periods=[period])


def formulas_follow_input(kpi: Kpi, *, periods: Iterable[date] | None = None) -> None:
    """An input KPI deleted or switched off (or on again): the formulas reading it recompute
    ``periods`` (by default every period it has a value for)."""
    if periods is None:
        periods = Measurement.objects.filter(kpi_id=kpi.pk).values_list("period", flat=True)
    formulas_follow_periods(org_id=kpi.organization_id, kpi_ids={kpi.pk}, periods=list(periods))


def formulas_follow_periods(*, org_id: int, kpi_ids: set[int], periods: Iterable[date]) -> None:
    """``formulas_follow`` for several periods (an input deleted or switched off, with all its
    values): the readers are found once."""
    readers = []
    for kpi in (
        Kpi.objects.filter(organization_id=org_id, active=True).exclude(formula="").select_related("organization")
    ):
        try:
            refs = formula_math.references(formula_math.parse(kpi.formula))
        except formula_math.FormulaError:
            continue
        if refs & kpi_ids:
            readers.append(kpi)
    for period in sorted(set(periods)):
        for kpi in readers:
            formula_recompute(kpi=kpi, period=period)
