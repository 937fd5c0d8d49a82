"""One number for one KPI and period, from each kind of source. Pure of the database of
okrkpi: each puller gets the source's decrypted config and the KPI's query, column or
path, and returns the raw text it read and the number in it, or raises ``PullError``
with a message for people. Nothing here records anything."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from jsonpath_ng import parse as jsonpath_parse
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError

from core.numbers import parse_number
from datasources.fetch import PullError, http_get
from kpis import periods


@dataclass(frozen=True)
class Period:
    """The period asked for: its first and last day, and how to name rows' periods."""

    start: date
    end: date
    frequency: str
    fiscal_year_start_month: int = 1


@dataclass(frozen=True)
class Pulled:
    raw: str
    value: float


def read_number(raw: Any, *, language: str) -> float:
    """A cell or JSON value as a number, read with the project's number reader in the
    source's language (``1.234,5`` in Vietnamese); ``PullError`` for text or NaN."""
    if isinstance(raw, bool) or raw is None:
        raise PullError(_("The value “%(raw)s” is not a number.") % {"raw": raw})
    if isinstance(raw, int | float):
        if not math.isfinite(float(raw)):
            raise PullError(_("The value is not a finite number."))
        return float(raw)
    text = str(raw).strip()
    if text.lower() in ("nan", "inf", "-inf", "infinity"):
        raise PullError(_("The value is not a finite number."))
    try:
        return parse_number(text, language=language)
    except ValidationError as exc:
        raise PullError(" ".join(exc.messages)) from None


def pull_csv(config: dict[str, Any], *, column: str, period: Period, language: str, period_column: str) -> Pulled:
    body = http_get(config.get("url", ""), headers=config.get("headers") or {})
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PullError(_("The document is not UTF-8 text.")) from None
    return parse_csv(text, column=column, period=period, language=language, period_column=period_column)


def csv_columns(config: dict[str, Any]) -> list[str]:
    """The column names of the CSV at the source's address (a sample: its header row)."""
    body = http_get(config.get("url", ""), headers=config.get("headers") or {})
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PullError(_("The document is not UTF-8 text.")) from None
    return [n.strip() for n in (csv.DictReader(io.StringIO(text)).fieldnames or [])]


def parse_csv(text: str, *, column: str, period: Period, language: str, period_column: str) -> Pulled:
    """The number in ``column`` for ``period``: the row whose ``period_column`` falls in it,
    or the last row with a value when there is no period column."""
    reader = csv.DictReader(io.StringIO(text))
    names = [n.strip() for n in (reader.fieldnames or [])]
    column = column.strip()
    if column not in names:
        raise PullError(
            _("The CSV has no column “%(column)s” (it has: %(names)s).")
            % {"column": column, "names": ", ".join(names[:20]) or "—"}
        )
    rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    if period_column:
        if period_column not in names:
            raise PullError(_("The CSV has no period column “%(column)s”.") % {"column": period_column})
        rows = [r for r in rows if _row_period(r.get(period_column, ""), period) == period.start]
        if not rows:
            raise PullError(_("No row of the CSV is for the period starting %(date)s.") % {"date": period.start})
        if len(rows) > 1:
            raise PullError(_("%(n)d rows of the CSV are for the same period.") % {"n": len(rows)})
    rows = [r for r in rows if r.get(column)]
    if not rows:
        raise PullError(_("The column “%(column)s” has no value.") % {"column": column})
    raw = rows[-1][column]
    return Pulled(raw=raw, value=read_number(raw, language=language))


def _row_period(cell: str, period: Period) -> date | None:
    try:
        day = periods.parse_period(cell)
    except ValueError:
        return None
    return periods.period_start(day, frequency=period.frequency, fiscal_year_start_month=period.fiscal_year_start_month)


def pull_json(config: dict[str, Any], *, path: str, period: Period, language: str) -> Pulled:
    """``path`` is a JSONPath; ``{period}`` in it stands for the period's first day
    (``2026-10-01``) and ``{month}`` for its month (``2026-10``)."""
    expression = path.replace("{period}", period.start.isoformat()).replace("{month}", period.start.strftime("%Y-%m"))
    try:
        compiled = jsonpath_parse(expression)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:  # the parser raises plain Exception too
        raise PullError(_("The JSON path does not parse: %(error)s") % {"error": exc}) from None
    body = http_get(config.get("url", ""), headers=config.get("headers") or {})
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise PullError(_("The document is not JSON.")) from None
    matches = [m.value for m in compiled.find(document)]
    if not matches:
        raise PullError(_("The JSON path “%(path)s” matches nothing.") % {"path": path})
    if len(matches) > 1:
        raise PullError(_("The JSON path matches %(n)d values; it must match one.") % {"n": len(matches)})
    value = matches[0]
    raw = value if isinstance(value, str) else json.dumps(value)
    return Pulled(raw=raw, value=read_number(value, language=language))
