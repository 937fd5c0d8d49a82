"""Numbers as people type and read them, in the active language.

One parser and one formatter, so what a page shows can be typed back unchanged:

- English: ``4.5``, ``1,234.5``; Vietnamese: ``4,5``, ``1.234,5``; in both a space
  may group thousands (``3 000 000``).
- A value that could be read two ways is refused with a message saying so,
  never guessed: Vietnamese ``171,000`` (171 or 171 000?), English ``2.125``.
- A unit may be typed around the number when the field says which ones it
  accepts (``45%``, ``3 000 000 đ``); any other text is refused.

The separators come from Django's format files (``okrkpi/formats/``), the same
ones ``{{ value|date }}`` and friends use.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import formats, translation
from django.utils.translation import gettext as _

from core.validation import MAX_NUMBER

_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\t": " "})
_MINUS = ("-", "\u2212", "\u2013")
CURRENCY_UNITS = ("vnd", "vnđ", "đ", "₫", "đồng", "dong", "usd", "$", "us$", "eur", "€")
WHOLE_CURRENCIES = ("vnd", "vnđ", "đ", "₫", "đồng", "dong")


def separators(language: str | None = None) -> tuple[str, str]:
    """(decimal separator, thousands separator) of ``language`` (default: the active one)."""
    lang = language or translation.get_language() or "en"
    decimal = str(formats.get_format("DECIMAL_SEPARATOR", lang, use_l10n=True))
    group = str(formats.get_format("THOUSAND_SEPARATOR", lang, use_l10n=True))
    return decimal, group


def unit_aliases(unit: str, *, percent: bool = False, currency: bool = False) -> list[str]:
    """The texts a person may type around a value measured in ``unit``."""
    aliases = [unit.strip()] if unit and unit.strip() else []
    low = unit.strip().casefold() if unit else ""
    if percent or low in ("%", "percent", "phần trăm"):
        aliases.append("%")
    if currency or low in CURRENCY_UNITS:
        if low in WHOLE_CURRENCIES or not low:
            aliases += list(WHOLE_CURRENCIES)
        if low in ("usd", "$", "us$") or not low:
            aliases += ["usd", "$", "us$"]
        if low in ("eur", "€") or not low:
            aliases += ["eur", "€"]
    return aliases


def _error(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _strip_units(text: str, units: Iterable[str]) -> str:
    """Remove one allowed unit before or after the number (longest first, any case)."""
    for unit in sorted({u.casefold() for u in units if u}, key=len, reverse=True):
        low = text.casefold()
        if low.endswith(unit):
            return text[: len(text) - len(unit)].strip()
        if low.startswith(unit):
            return text[len(unit) :].strip()
    return text


def _valid_groups(int_part: str, group: str) -> bool:
    """``1.234.567`` style grouping: 1–3 digits, then groups of exactly three."""
    return re.fullmatch(rf"\d{{1,3}}(?:{re.escape(group)}\d{{3}})+", int_part) is not None


def _language_name(language: str) -> str:
    return _("Vietnamese") if language.startswith("vi") else _("English")


def parse_number(
    raw: object,
    *,
    language: str | None = None,
    units: Iterable[str] = (),
    allow_negative: bool = True,
) -> float:
    """The number a person typed, read in ``language``'s convention (default: the
    active language). Raises ``ValidationError`` with a message that quotes the
    input and says what to type instead; never guesses between two readings."""
    if isinstance(raw, bool):
        raise _error(_("Enter a number."), "invalid")
    if isinstance(raw, int | float):
        number = float(raw)
        text = str(raw)
    else:
        text = str(raw if raw is not None else "").translate(_SPACES).strip()
        number = _parse_text(text, language=language or translation.get_language() or "en", units=units)
    if not math.isfinite(number):
        raise _error(_("Enter a finite number."), "invalid")
    if abs(number) > MAX_NUMBER:
        raise _error(_("This number is too large."), "too_large")
    if number < 0 and not allow_negative:
        raise _error(_("“%(value)s”: this value cannot be negative.") % {"value": text[:40]}, "negative")
    return number


def _parse_text(text: str, *, language: str, units: Iterable[str]) -> float:
    """``parse_number`` for typed text (spaces normalised, stripped)."""
    decimal, group = separators(language)
    shown = text[:40]
    if not text:
        raise _error(_("Enter a number."), "required")
    body = _strip_units(text, units)
    negative = False
    if body[:1] in _MINUS or body[:1] == "+":
        negative = body[:1] != "+"
        body = body[1:].strip()
        body = _strip_units(body, units)  # "-45 %", "$-5"
    _check_characters(body, text, shown=shown, language=language)
    if decimal in body and body.count(decimal) > 1:
        raise _error(
            _("“%(value)s” has more than one decimal separator (%(sep)s).") % {"value": shown, "sep": decimal},
            "separators",
        )
    int_part, sep, frac = body.partition(decimal)
    if group in frac or " " in frac:
        raise _error(
            _(
                "“%(value)s” mixes up the separators: in %(language)s, “%(decimal)s” separates decimals "
                "and “%(group)s” thousands, as in %(example)s."
            )
            % {
                "value": shown,
                "language": _language_name(language),
                "decimal": decimal,
                "group": group,
                "example": format_number(1234.5, language=language),
            },
            "separators",
        )
    int_part = _integer_digits(int_part, bool(sep), frac, shown=shown, language=language)
    digits = (int_part or "0") + ("." + frac if frac else "")
    try:
        number = float(Decimal(digits))
    except InvalidOperation:
        raise _error(_("“%(value)s” is not a number.") % {"value": shown}, "invalid") from None
    return -number if negative else number


def _check_characters(body: str, text: str, *, shown: str, language: str) -> None:
    """Only digits and separators may be left once the sign and the units are gone."""
    if body and re.fullmatch(r"[\d., ]+", body) is not None and re.search(r"\d", body):
        return
    if re.search(r"\d", text) and re.search(r"[^\d.,\s+\-\u2212]", text):
        raise _error(
            _("“%(value)s” is not a number: type only the number, without other text or units.") % {"value": shown},
            "unit",
        )
    raise _error(
        _("Enter a number. “%(value)s” is not a number (example: %(example)s).")
        % {"value": shown, "example": format_number(1234.5, language=language)},
        "invalid",
    )


def _integer_digits(int_part: str, has_decimal: bool, frac: str, *, shown: str, language: str) -> str:
    """The integer part without its thousands separators, refusing a wrong grouping and a
    reading that could go two ways (never a guess)."""
    decimal, group = separators(language)
    grouped = group in int_part or " " in int_part
    if grouped:
        mark = " " if " " in int_part and group not in int_part else group
        if not _valid_groups(int_part, mark):
            if int_part.count(group) == 1 and not frac and not has_decimal:
                raise _error(
                    _("“%(value)s”: in %(language)s the decimal separator is “%(decimal)s”; type %(example)s.")
                    % {
                        "value": shown,
                        "language": _language_name(language),
                        "decimal": decimal,
                        "example": int_part.replace(group, decimal),
                    },
                    "separators",
                )
            raise _error(
                _("“%(value)s” is not a number: thousands are grouped by three digits, as in %(example)s.")
                % {"value": shown, "example": format_number(1234567.5, language=language)},
                "separators",
            )
        return int_part.replace(mark, "")
    if has_decimal and len(frac) == 3 and re.fullmatch(r"[1-9]\d{0,2}", int_part):
        # "2,125" in Vietnamese, "2.125" in English: a thousands separator from the
        # other convention, or three decimals? Ask rather than guess.
        raise _error(
            _(
                "“%(value)s” could be read two ways. Type %(whole)s for the whole number, "
                "or %(decimals)s for the decimal."
            )
            % {"value": shown, "whole": int_part + frac, "decimals": f"{int_part}{decimal}{frac}0"},
            "ambiguous",
        )
    return int_part


def _digits(value: float, decimals: int | None) -> tuple[bool, str, str]:
    """(negative, integer digits, fraction digits) of ``value``, rounded to ``decimals``
    (None: the shortest text that reads back as the same float)."""
    number = Decimal(repr(float(value)))
    if decimals is not None:
        number = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = format(number, "f")
    negative = text.startswith("-")
    text = text.lstrip("-")
    int_part, _sep, frac = text.partition(".")
    frac = frac.rstrip("0")
    if negative and not (int_part.strip("0") or frac):
        negative = False  # no "-0"
    return negative, int_part, frac


def _group(int_part: str, group: str) -> str:
    head = len(int_part) % 3 or 3
    parts = [int_part[:head]] + [int_part[i : i + 3] for i in range(head, len(int_part), 3)]
    return group.join(parts)


def format_number(
    value: float | int | Decimal | None,
    *,
    language: str | None = None,
    decimals: int | None = 2,
    grouping: bool = True,
) -> str:
    """``1234.5`` → ``1,234.5`` (English) or ``1.234,5`` (Vietnamese); at most
    ``decimals`` decimals, trailing zeros dropped (``6.0`` → ``6``); ``None`` → ``—``."""
    if value is None:
        return "—"
    if not math.isfinite(float(value)):
        return "—"
    decimal, group = separators(language)
    negative, int_part, frac = _digits(float(value), decimals)
    body = _group(int_part, group) if grouping else int_part
    if frac:
        body += decimal + frac
    return ("-" if negative else "") + body


def format_input(value: float | int | None, *, language: str | None = None) -> str:
    """A value to prefill an input with: every significant digit, grouped, and never
    in the shape the parser refuses as ambiguous (``1,234`` with three decimals in
    Vietnamese is written ``1,2340``)."""
    if value is None:
        return ""
    text = format_number(value, language=language, decimals=None)
    try:
        parse_number(text, language=language)
    except ValidationError as exc:
        if exc.code == "ambiguous":
            return text + "0"
        raise
    return text


def is_whole_currency(unit: str) -> bool:
    return (unit or "").strip().casefold() in WHOLE_CURRENCIES


def format_quantity(
    value: float | None, unit: str = "", *, kind: str = "", language: str | None = None, decimals: int | None = 2
) -> str:
    """A value with its unit: ``45%``, ``3,000,000,000 VND`` (Vietnamese dong has no
    decimals), ``12 leads``."""
    if value is None:
        return "—"
    if kind == "milestone":  # 1 or 0: a milestone is done or not, never "→ 1"
        with translation.override(language) if language else contextlib.nullcontext():
            return _("done") if value >= 1 else _("not done")
    unit = (unit or "").strip()
    if is_whole_currency(unit):
        decimals = 0
    text = format_number(value, language=language, decimals=decimals)
    if kind == "percent" and not unit:
        unit = "%"
    if not unit:
        return text
    if unit == "%":
        return f"{text}%"
    return f"{text}\u00a0{unit}"


def precision_of(*values: float | None, limit: int = 2) -> int:
    """The decimals that ``values`` are written with (at most ``limit``): ``0`` and ``100``
    give 0, ``12.5`` gives 1. A figure derived from them (a pace, a share of the way) is
    shown at that precision: "77 leads" between 0 and 100 leads, not "76.81"."""
    found = 0
    for value in values:
        if value is None or not math.isfinite(float(value)):
            continue
        _negative, _int_part, frac = _digits(float(value), limit)
        found = max(found, len(frac))
    return found


def format_percent(fraction: float | None, *, language: str | None = None, decimals: int = 0) -> str:
    """``0.456`` → ``46%``; ``1.2`` → ``120%`` (over-achievement is shown, not hidden)."""
    if fraction is None:
        return "—"
    return f"{format_number(float(fraction) * 100, language=language, decimals=decimals)}%"


def format_grade(grade: float | None, *, language: str | None = None) -> str:
    """A grade or a grade threshold with its one decimal, in the reader's decimal mark:
    ``0.7`` → ``0.7`` / ``0,7``, ``1`` → ``1.0`` / ``1,0`` (a grade always shows its tenth)."""
    if grade is None or not math.isfinite(float(grade)):
        return "—"
    decimal, _group = separators(language)
    return f"{float(grade):.1f}".replace(".", decimal)
