"""A list cut short ends with "+N more", on the page and on the printed board report,
in the reader's language; a red KPI's value carries its unit as every page writes it."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation

from scorecards.templatetags.executive import PRINT_SHOWN, more_items


def test_a_cut_list_says_how_many_it_leaves_out():
    assert more_items(3, 3) == ""  # nothing cut, not even in print
    html = more_items(12, 10)
    assert '<li class="more-items screen-only">+2 more</li>' in html
    assert f'<li class="more-items print-only">+{12 - PRINT_SHOWN} more</li>' in html
    assert "screen-only" not in more_items(12, 10, screen=False)  # the list links to the rest
    with translation.override("vi"):
        assert "+2 mục nữa" in more_items(12, 10)


def test_a_red_kpi_value_has_no_stray_decimals_or_space_before_percent():
    template = Template("{% load okr %}{{ v|qty_unit:u }}")
    with translation.override("en"):
        assert template.render(Context({"v": 4.1, "u": "%"})) == "4.1%"
        assert (
            template.render(Context({"v": 672760.0, "u": "USD"})) == "672,760\u00a0USD"
        )  # a non-breaking space keeps the unit with it
    with translation.override("vi"):
        assert template.render(Context({"v": 27.5, "u": "%"})) == "27,5%"
