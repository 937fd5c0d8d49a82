"""A balanced scorecard, as of a period, as rows for CSV and XLSX.

One row per KPI on the scorecard, with its perspective's weight, score and status repeated
(a perspective without KPIs gets one row of its own), then one row with the overall score, so
a spreadsheet can filter and pivot them. The figures are those of the scorecard page for the
same period (``selectors.scorecard_view``). Cells are made safe by ``core.spreadsheet``.
"""

from __future__ import annotations

from typing import Any

from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.templatetags.okr import kpi_label
from kpis.models import Direction, Kpi
from scorecards.selectors import ScorecardView


def header() -> list[str]:
    return [
        _("Period"),
        _("Perspective"),
        _("Perspective weight"),
        _("Perspective score"),
        _("Perspective status"),
        _("KPI"),
        _("KPI owner"),
        _("KPI weight"),
        _("Latest value"),
        _("Unit"),
        _("Value's period"),
        _("Target"),
        _("Achievement"),
        _("Status"),
    ]


def _score(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _target(kpi: Kpi) -> float | str | None:
    """A number, or "low – high" for a KPI that should stay within a range."""
    if kpi.direction == Direction.WITHIN_RANGE:
        return f"{kpi.target_low:g} – {kpi.target_high:g}"
    return kpi.target


def scorecard_rows(view: ScorecardView, *, period: str) -> list[list[Any]]:
    """Rows of a computed scorecard; ``period`` is the as-of period as people say it."""
    rows: list[list[Any]] = [header()]
    for p in view.perspectives:
        head = [period, p.label, p.weight, _score(p.score), kpi_label(p.status)]
        if not p.items:
            rows.append([*head, "", "", None, None, "", None, None, None, ""])
        for iv in p.items:
            kpi = iv.kpi
            rows.append(
                [
                    *head,
                    kpi.name,
                    kpi.owner_label,
                    iv.item.weight,
                    iv.value,
                    kpi.unit,
                    iv.measured_period,
                    _target(kpi),
                    _score(iv.achievement),
                    kpi_label(iv.status),
                ]
            )
        if p.restricted_kpis:  # KPIs the reader may not see: counted, never named
            rows.append([*head, p.restricted_kpis, "", None, None, "", None, None, None, ""])
    # A provisional period (too few KPIs measured) has a score but no colour: say so, not "No data".
    overall = _("provisional") if view.provisional else kpi_label(view.status)
    rows.append([period, _("Overall score"), None, _score(view.score), overall])
    return rows


def filename(name: str, as_of: str, fmt: str) -> str:
    return f"scorecard-{slugify(name) or 'scorecard'}-{as_of}.{fmt}"
