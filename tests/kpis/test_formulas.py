"""Formula KPIs (DESIGN §4): parsed safely, checked when saved, recomputed when an input
gets a value; the values below are computed by hand."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from kpis import formula as f
from kpis import services
from kpis.models import Measurement
from kpis.services.formulas import formula_recompute
from tests.kpis.kpi_factories import make_kpi, record

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("kpi:12 / kpi:7 * 100", {12: 30, 7: 120}, 25.0),
        ("(kpi:1 - kpi:2) / kpi:1 * 100", {1: 200, 2: 150}, 25.0),
        ("1 + 2 * 3", {}, 7.0),
        ("(1 + 2) * 3", {}, 9.0),
        ("-kpi:1 + 10", {1: 4}, 6.0),
        ("max(kpi:1, kpi:2, 5) - min(kpi:1, kpi:2)", {1: 3, 2: 8}, 5.0),
        ("abs(kpi:1 - 10)", {1: 4}, 6.0),
        ("kpi:1 × 2 ÷ 4", {1: 10}, 5.0),
        ("2 - 3 - 4", {}, -5.0),  # left-associative
        ("12 / 3 / 2", {}, 2.0),
        (".5 * 4", {}, 2.0),
    ],
)
def test_a_formula_computes_what_a_person_computes_by_hand(text, values, expected):
    assert f.evaluate(f.parse(text), values) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "kpi:1.__class__",
        "open('x')",
        "kpi:1 ** 2",
        "lambda: 1",
        "kpi:1 +",
        "(kpi:1",
        "kpi:1 kpi:2",
        "",
        "abs(1, 2)",
        "1; 2",
        "x" * 600,
        "(" * 100 + "1" + ")" * 100,
    ],
)
def test_anything_but_arithmetic_is_refused_by_the_parser(text):
    with pytest.raises(f.FormulaError):
        f.parse(text)


def test_division_by_zero_and_a_missing_input_compute_nothing():
    with pytest.raises(f.FormulaError, match="Division by zero"):
        f.evaluate(f.parse("kpi:1 / kpi:2"), {1: 5, 2: 0})
    with pytest.raises(f.MissingInput):
        f.evaluate(f.parse("kpi:1 / kpi:2"), {1: 5})
    assert f.references(f.parse("kpi:1 / (kpi:22 + max(kpi:1, 3))")) == {1, 22}


def test_a_formula_kpi_follows_its_inputs_with_its_inputs_in_the_provenance(world_a):
    deals = make_kpi(world_a.org, name="Deals won")
    leads = make_kpi(world_a.org, name="Qualified leads")
    conversion = make_kpi(world_a.org, name="Conversion", formula=f"kpi:{deals.pk} / kpi:{leads.pk} * 100")
    record(deals, "2026-10", 30)
    assert not conversion.measurements.exists()  # an input without a value: nothing yet
    record(leads, "2026-10", 120)
    m = conversion.measurements.get()
    assert (m.period, m.value, m.origin) == (date(2026, 10, 1), 25.0, "formula")
    assert m.provenance["inputs"] == {f"kpi:{deals.pk}": 30.0, f"kpi:{leads.pk}": 120.0}
    assert m.provenance["formula"] == conversion.formula
    record(deals, "2026-10", 36)  # a corrected input recomputes the period
    m.refresh_from_db()
    assert m.value == 30.0
    # A chain: a formula over a formula follows too.
    double = make_kpi(world_a.org, name="Double", formula=f"kpi:{conversion.pk} * 2")
    record(leads, "2026-10", 90)
    assert double.measurements.get().value == pytest.approx(80.0)  # 36 / 90 * 100 * 2


def test_division_by_zero_records_no_value(world_a):
    a = make_kpi(world_a.org, name="A")
    b = make_kpi(world_a.org, name="B")
    ratio = make_kpi(world_a.org, name="Ratio", formula=f"kpi:{a.pk} / kpi:{b.pk}")
    record(a, "2026-10", 5)
    record(b, "2026-10", 0)
    assert not ratio.measurements.exists()
    assert formula_recompute(kpi=ratio, period=date(2026, 10, 1)) is None


def test_a_typed_value_on_a_formula_kpi_is_never_overwritten(world_a):
    a = make_kpi(world_a.org, name="A")
    twice = make_kpi(world_a.org, name="Twice", formula=f"kpi:{a.pk} * 2")
    record(twice, "2026-10", 7, actor=world_a.admin)
    record(a, "2026-10", 5)
    assert Measurement.objects.get(kpi=twice).value == 7


def test_a_formula_cycle_is_refused(world_a):
    a = make_kpi(world_a.org, name="A")
    b = make_kpi(world_a.org, name="B", formula=f"kpi:{a.pk} + 1")
    c = make_kpi(world_a.org, name="C", formula=f"kpi:{b.pk} * 2")
    with pytest.raises(ValidationError, match="its own value through other formulas"):
        services.kpi_update(kpi=a, actor=None, formula=f"kpi:{c.pk} - 1")
    with pytest.raises(ValidationError, match="its own KPI"):
        services.kpi_update(kpi=a, actor=None, formula=f"kpi:{a.pk} - 1")
    a.refresh_from_db()
    assert a.formula == ""


def test_unknown_foreign_and_other_frequency_kpis_are_refused(world_a, world_b):
    mine = make_kpi(world_a.org, name="Mine")
    theirs = make_kpi(world_b.org, name="Theirs")
    weekly = make_kpi(world_a.org, name="Weekly", frequency="weekly")
    for text, message in [
        (f"kpi:{theirs.pk} * 2", f"Unknown KPI: kpi:{theirs.pk}"),
        ("kpi:987654 * 2", "Unknown KPI: kpi:987654"),
        (f"kpi:{weekly.pk} + kpi:{mine.pk}", "a formula reads KPIs of its own frequency"),
        ("2 + 2", "at least one KPI"),
        ("kpi:1 +", "ends too early"),
    ]:
        with pytest.raises(ValidationError, match=message):
            make_kpi(world_a.org, name="F", formula=text)


def test_the_api_takes_a_formula_and_refuses_a_cycle_with_a_message_on_the_field(world_a, api):
    a = make_kpi(world_a.org, name="A")
    client = api(world_a.admin)
    body = {
        "name": "Twice A",
        "owner_type": "company",
        "direction": "higher_is_better",
        "target": 10,
        "frequency": "monthly",
        "perspective": "financial",
        "formula": f"kpi:{a.pk} * 2",
    }
    r = client.post("/api/v1/orgs/alpha/kpis/", body, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["formula"] == f"kpi:{a.pk} * 2"
    twice = r.json()["id"]
    r = client.patch(f"/api/v1/orgs/alpha/kpis/{a.pk}/", {"formula": f"kpi:{twice} + 1"}, format="json")
    assert r.status_code == 400 and "formula" in r.json()["errors"]
    r = client.post("/api/v1/orgs/alpha/kpis/", {**body, "formula": "__import__('os')"}, format="json")
    assert r.status_code == 400 and "formula" in r.json()["errors"]
