"""Numbers as people type and read them, in English and in Vietnamese."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from core.numbers import (
    format_input,
    format_number,
    format_percent,
    format_quantity,
    parse_number,
    unit_aliases,
)

MONEY_AND_PERCENT = unit_aliases("", percent=True, currency=True)


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        ("vi", "4,5", 4.5),
        ("vi", "1.234,5", 1234.5),
        ("vi", "1.234.567,25", 1234567.25),
        ("vi", "171.000", 171000),
        ("vi", "0,125", 0.125),
        ("vi", "-3,5", -3.5),
        ("vi", " 12 ", 12),
        ("vi", "3 000 000", 3000000),
        ("en", "4.5", 4.5),
        ("en", "1,234.5", 1234.5),
        ("en", "171,000", 171000),
        ("en", "2,575,597,824", 2575597824),
        ("en", "0.125", 0.125),
        ("en", "−2", -2),  # the typographic minus a phone may offer
        ("en", ".5", 0.5),
        ("en", "3\u00a0000\u00a0000", 3000000),  # a spreadsheet's non-breaking spaces
    ],
)
def test_a_number_is_read_in_the_language_of_the_reader(language, typed, expected):
    assert parse_number(typed, language=language) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        ("vi", "45%", 45),
        ("vi", "45 %", 45),
        ("vi", "3 000 000 đ", 3000000),
        ("vi", "3.000.000 VND", 3000000),
        ("vi", "3.000.000₫", 3000000),
        ("en", "45%", 45),
        ("en", "$1,200.50", 1200.5),
        ("en", "3 000 000 đ", 3000000),
        ("en", "-45 %", -45),
    ],
)
def test_a_unit_typed_with_the_number_is_accepted_where_the_field_expects_it(language, typed, expected):
    assert parse_number(typed, language=language, units=MONEY_AND_PERCENT) == pytest.approx(expected)


@pytest.mark.parametrize("language", ["en", "vi"])
@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("4,5,6", ""),
        ("1.2.3", ""),
        ("abc", "is not a number"),
        ("", ""),
        ("   ", ""),
        ("45%", "type only the number"),
        ("3 000 000 đ", "type only the number"),
        ("12 leads", "type only the number"),
        ("1e5", "is not a number"),
        ("--5", "is not a number"),
        ("1 234 56", "grouped by three"),
        ("%", "is not a number"),
    ],
)
def test_bad_input_is_refused_with_a_message_that_quotes_it(language, typed, says):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        parse_number(typed, language=language)
    message = " ".join(exc.value.messages)
    assert message
    if typed.strip():
        assert f"“{typed.strip()[:40]}”" in message
    assert says in message


def test_a_unit_the_field_does_not_expect_is_refused():
    with pytest.raises(ValidationError, match="type only the number"):
        parse_number("45%", language="en", units=unit_aliases("leads"))
    assert parse_number("45 leads", language="en", units=unit_aliases("leads")) == 45


@pytest.mark.parametrize(
    ("language", "typed", "hint"),
    [
        ("en", "4,5", "type 4.5"),  # a Vietnamese habit in the English interface
        ("vi", "4.5", "type 4,5"),  # an English habit in the Vietnamese interface
        ("en", "1.234,5", "1,234.5"),
        ("vi", "1,234.5", "1.234,5"),
    ],
)
def test_the_other_convention_is_refused_with_the_right_way_to_type_it(language, typed, hint):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        parse_number(typed, language=language)
    assert exc.value.code == "separators"
    assert hint in exc.value.messages[0]


@pytest.mark.parametrize(("language", "typed"), [("vi", "171,000"), ("vi", "2,125"), ("en", "2.125"), ("en", "15.500")])
def test_an_ambiguous_value_is_refused_not_guessed(language, typed):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        parse_number(typed, language=language)
    assert exc.value.code == "ambiguous"
    assert "could be read two ways" in exc.value.messages[0]


def test_negative_values_are_refused_where_forbidden():
    with pytest.raises(ValidationError) as exc:
        parse_number("-5", language="en", allow_negative=False)
    assert exc.value.code == "negative"
    assert parse_number("0", language="en", allow_negative=False) == 0


def test_too_large_and_non_finite_values_are_refused():
    with pytest.raises(ValidationError):
        parse_number("1" + "0" * 20, language="en")
    with pytest.raises(ValidationError):
        parse_number(float("nan"))


def test_messages_are_in_the_active_language():
    with translation.override("vi"), pytest.raises(ValidationError) as exc:
        parse_number("4.5", language="vi")
    assert "4,5" in exc.value.messages[0]
    assert "decimal" not in exc.value.messages[0]


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [
        ("en", 2575597824, "2,575,597,824"),
        ("vi", 2575597824, "2.575.597.824"),
        ("en", 0.8, "0.8"),
        ("vi", 0.8, "0,8"),
        ("en", 6.0, "6"),
        ("vi", 1234.5, "1.234,5"),
        ("en", -1234.567, "-1,234.57"),
        ("en", -0.001, "0"),
        ("en", None, "—"),
    ],
)
def test_numbers_are_shown_in_the_reader_convention(language, value, shown):
    assert format_number(value, language=language) == shown


def test_quantities_and_percentages_follow_the_convention():
    assert format_quantity(3e9, "VND", language="vi") == "3.000.000.000\u00a0VND"
    assert format_quantity(3e9 + 0.4, "VND", language="en") == "3,000,000,000\u00a0VND"  # dong: no decimals
    assert format_quantity(0.8, "%", language="vi") == "0,8%"
    assert format_quantity(10, "", kind="percent", language="en") == "10%"
    assert format_quantity(6, "leads", language="en") == "6\u00a0leads"
    assert format_percent(1.2, language="vi") == "120%"
    assert format_percent(0.456, language="en") == "46%"


@pytest.mark.parametrize("language", ["en", "vi"])
@given(value=st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False))
def test_what_an_input_shows_reads_back_as_the_same_number(language, value):
    shown = format_input(value, language=language)
    assert parse_number(shown, language=language) == pytest.approx(value, rel=1e-12, abs=1e-12)


def test_an_input_never_shows_the_ambiguous_shape():
    assert format_input(2.125, language="vi") == "2,1250"
    assert format_input(2.125, language="en") == "2.1250"
    assert format_input(2125, language="vi") == "2.125"
    assert format_input(6.0, language="en") == "6"


def test_precision_of_is_the_most_decimals_the_values_are_written_with():
    from core.numbers import precision_of

    assert precision_of(0, 100) == 0
    assert precision_of(0, 12.5) == 1
    assert precision_of(1.25, None, float("nan")) == 2
    assert precision_of(0.333333) == 2  # never more than format_number shows
