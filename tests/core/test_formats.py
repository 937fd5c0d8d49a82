"""One convention per language everywhere: dates through the named formats (Vietnamese
"1/10/2026", English "1 Oct 2026"), grades and thresholds in the reader's decimal mark."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from django.template import Context, Template
from django.utils import translation

from core.numbers import format_grade

ROOT = Path(__file__).resolve().parents[2]
# Formats a template may name: Django's named ones, and the machine's (links, hidden inputs).
NAMED = {"DATE_FORMAT", "SHORT_DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATETIME_FORMAT", "YEAR_MONTH_FORMAT"}
NAMED |= {"MONTH_DAY_FORMAT", "TIME_FORMAT", "Y-m-d", "c", "U"}
DATE_FILTER = re.compile(r"\|date:[\"']([^\"']*)[\"']")


def test_templates_name_a_format_instead_of_writing_their_own():
    own = []
    for path in ROOT.glob("**/templates/**/*.*"):
        if ".venv" in path.parts:
            continue
        for pattern in DATE_FILTER.findall(path.read_text(encoding="utf-8")):
            if pattern not in NAMED:
                own.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert not own, f"dates written in a pattern of their own (use DATE_FORMAT and friends): {own}"


def test_a_date_reads_the_same_everywhere_in_each_language():
    day = date(2026, 10, 1)
    for language, shown in (("en", "1 Oct 2026"), ("vi", "1/10/2026")):
        with translation.override(language):
            for name in ("DATE_FORMAT", "SHORT_DATE_FORMAT"):
                assert Template(f'{{{{ d|date:"{name}" }}}}').render(Context({"d": day})) == shown


def test_grades_and_thresholds_use_the_readers_decimal_mark():
    assert (format_grade(0.7, language="en"), format_grade(1, language="en")) == ("0.7", "1.0")
    assert (format_grade(0.7, language="vi"), format_grade(1, language="vi")) == ("0,7", "1,0")
    with translation.override("vi"):
        rendered = Template("{% load okr %}{{ 0.7|grade }}–{{ 1.0|grade }}").render(Context())
        assert rendered == "0,7–1,0"
        assert "0,7" in translation.gettext("0.7 counts as success")
        assert "1,0" in translation.gettext("Give a grade from 0.0 to 1.0.")
