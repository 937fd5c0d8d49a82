"""The one set of value checks every service uses (objectives and KPIs alike)."""

from __future__ import annotations

import math

import pytest
from django.core.exceptions import ValidationError

from core.validation import MAX_NUMBER, clean_number, clean_optional_number, clean_text, clean_title


@pytest.mark.parametrize("value", [True, False, None, "", "abc", "1.2.3", [], object()])
def test_a_non_number_names_the_field(value):
    with pytest.raises(ValidationError) as err:
        clean_number(value, "target_value")
    assert "target_value" in err.value.message_dict


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "nan", "inf", MAX_NUMBER * 10])
def test_a_number_must_be_finite_and_not_absurd(value):
    with pytest.raises(ValidationError):
        clean_number(value, "value")


@pytest.mark.parametrize(("value", "expected"), [(3, 3.0), (" 4.5 ", 4.5), ("-2", -2.0), (0, 0.0)])
def test_numbers_and_numeric_strings_are_accepted(value, expected):
    assert clean_number(value, "value") == expected


def test_blank_optional_number_is_none():
    assert clean_optional_number("  ", "target") is None
    assert clean_optional_number(None, "target") is None
    assert clean_optional_number("7", "target") == 7.0


def test_title_is_required_and_bounded():
    assert clean_title("  Delight customers ") == "Delight customers"
    with pytest.raises(ValidationError):
        clean_title("   ")
    with pytest.raises(ValidationError):
        clean_title("x" * 201)
    with pytest.raises(ValidationError) as err:
        clean_title("", "name", required="A name is required.")
    assert err.value.message_dict == {"name": ["A name is required."]}


def test_text_is_bounded():
    assert clean_text(None, "note") == ""
    with pytest.raises(ValidationError):
        clean_text("x" * 11, "note", limit=10)
