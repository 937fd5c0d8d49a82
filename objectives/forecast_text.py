"""The forecasts in words, in the reader's language: one line per key result, and the
calibration beside it. Pages, the API and the digest call these; the numbers are
``objectives.forecast``'s."""

from __future__ import annotations

from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.numbers import format_number, format_percent, format_quantity, precision_of
from objectives import forecast as fc
from objectives.forecasts import CalibrationReport


def _qty(value: float, kr: Any) -> str:
    decimals = precision_of(kr.start_value, kr.target_value)
    return format_quantity(value, kr.unit or "", kind=kr.kind, decimals=decimals)


def _rate(value: float, kr: Any) -> str:
    decimals = max(precision_of(kr.start_value, kr.target_value), 1)
    text = format_number(abs(value), decimals=decimals)
    return f"+{text}" if value > 0 else f"\u2212{text}" if value < 0 else "±0"


def explain(f: fc.Forecast, kr: Any) -> str:
    """One line: "at +3.1 a week since 2 Oct you reach 78 of 100; 90% band 70–86"."""
    if f.method == fc.Method.NONE:
        return _("No check-in yet, so no forecast: it stands at %(value)s.") % {"value": _qty(f.projected, kr)}
    if f.method == fc.Method.MILESTONE:
        if f.probability == 1.0 and f.progress_low == 1.0:
            return _("Done.")
        return _("A milestone: %(percent)s likely to be done by the end, going by the latest confidence.") % {
            "percent": format_percent(f.probability)
        }
    values = {
        "projected": _qty(f.projected, kr),
        "target": _qty(kr.target_value, kr),
        "low": _qty(f.low, kr),
        "high": _qty(f.high, kr),
    }
    if f.method == fc.Method.FINAL:
        return _("The cycle is over: it ends at %(projected)s of %(target)s.") % values
    values |= {
        "rate": _rate(f.slope_per_week or 0.0, kr),
        "since": formats.date_format(f.since, "MONTH_DAY_FORMAT") if f.since else "",
    }
    if f.method == fc.Method.TREND:
        return (
            _("At %(rate)s a week since %(since)s you reach %(projected)s of %(target)s; 90%% band %(low)s–%(high)s.")
            % values
        )
    return (
        _(
            "At the pace so far (%(rate)s a week since %(since)s) you reach %(projected)s of %(target)s; "
            "between %(low)s and %(high)s if that pace halves or grows by half."
        )
        % values
    )


def on_course(f: fc.Forecast | fc.ObjectiveForecast) -> str:
    """The short form My check-ins shows: "on course for 78 %"."""
    projected = f.progress if isinstance(f, fc.Forecast) else f.projected
    return _("on course for %(percent)s") % {"percent": format_percent(projected)}


def calibration_lines(report: CalibrationReport) -> list[str]:
    """The calibration in sentences, or the one saying there is not enough history yet."""
    if not report.enough:
        return [
            _(
                "Not enough history yet to say how often the forecast is right: %(n)s closed key results, "
                "%(minimum)s needed."
            )
            % {"n": report.key_results, "minimum": fc.MIN_HISTORY}
        ]
    names = {"mid": _("at mid-cycle"), "two_thirds": _("at two thirds of the cycle")}
    lines = []
    for c in report.checkpoints:
        at = names.get(c.checkpoint, c.checkpoint)
        cycles = ngettext("%(n)d closed cycle", "%(n)d closed cycles", report.cycles) % {"n": report.cycles}
        if c.predicted_miss:
            lines.append(
                _("Of %(n)s key results predicted %(at)s to miss in %(cycles)s, %(did)s did (%(rate)s).")
                % {
                    "n": c.predicted_miss,
                    "at": at,
                    "cycles": cycles,
                    "did": c.missed,
                    "rate": format_percent(c.miss_hit_rate),
                }  # fmt: skip
            )
        if c.predicted_make:
            lines.append(
                _("Of %(n)s predicted %(at)s to make it, %(did)s did (%(rate)s).")
                % {"n": c.predicted_make, "at": at, "did": c.made, "rate": format_percent(c.make_hit_rate)}
            )
        lines.append(
            _("Mean absolute error %(at)s: %(error)s points of progress.")
            % {"at": at, "error": format_number((c.mean_absolute_error or 0.0) * 100, decimals=0)}
        )
    return lines
