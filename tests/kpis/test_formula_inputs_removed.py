"""A formula KPI whose input goes away — the input's value deleted, the input KPI deleted
or switched off — has its value for the period recomputed at once through the same path as
any other recompute: with an input missing there is no value, so the computed one is
removed, the activity log keeping it with its provenance and the reason."""

from __future__ import annotations

from datetime import date

from activity.models import ActivityEntry
from kpis import services
from kpis.models import Kpi, Measurement
from tests.kpis.kpi_factories import make_kpi, record

OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)


def _conversion(org):
    deals = make_kpi(org, name="Deals won")
    leads = make_kpi(org, name="Qualified leads")
    conversion = make_kpi(org, name="Conversion", formula=f"kpi:{deals.pk} / kpi:{leads.pk} * 100")
    for period, won, qualified in (("2026-10", 30, 120), ("2026-11", 20, 40)):
        record(deals, period, won)
        record(leads, period, qualified)
    assert dict(conversion.measurements.values_list("period", "value")) == {OCT: 25.0, NOV: 50.0}
    return deals, leads, conversion


def _values(kpi: Kpi) -> dict[date, float]:
    return dict(Measurement.objects.filter(kpi=kpi).values_list("period", "value"))


def test_an_inputs_value_deleted_removes_that_periods_computed_value_and_says_why(world_a):
    _deals, leads, conversion = _conversion(world_a.org)
    services.measurement_delete(measurement=leads.measurements.get(period=OCT), actor=world_a.admin)
    assert _values(conversion) == {NOV: 50.0}  # October only
    entry = ActivityEntry.objects.filter(verb="measurement.deleted", target_id=conversion.pk).get()
    assert entry.before["value"] == 25.0 and entry.before["provenance"]["inputs"][f"kpi:{leads.pk}"] == 120.0
    assert entry.after == {"reason": f"kpi:{leads.pk} has no value for this period."}
    # The input's value back: the formula's value back, computed again.
    record(leads, "2026-10", 60)
    assert _values(conversion) == {OCT: 50.0, NOV: 50.0}


def test_a_chain_of_formulas_follows_a_removed_value(world_a):
    deals, _leads, conversion = _conversion(world_a.org)
    doubled = make_kpi(world_a.org, name="Doubled", formula=f"kpi:{conversion.pk} * 2")
    record(deals, "2026-10", 31)  # the chain computes October again: 31 / 120 * 100 * 2
    assert _values(doubled)[OCT] == 31 / 120 * 100 * 2
    services.measurement_delete(measurement=deals.measurements.get(period=OCT), actor=None)
    assert OCT not in _values(conversion) and OCT not in _values(doubled)


def test_an_input_kpi_deleted_removes_every_computed_value(world_a):
    deals, _leads, conversion = _conversion(world_a.org)
    services.kpi_delete(kpi=deals, actor=world_a.admin)
    assert _values(conversion) == {}
    reasons = ActivityEntry.objects.filter(verb="measurement.deleted", target_id=conversion.pk)
    assert sorted(e.before["period"] for e in reasons) == ["2026-10-01", "2026-11-01"]


def test_an_input_kpi_switched_off_removes_the_values_and_switched_on_brings_them_back(world_a):
    _deals, leads, conversion = _conversion(world_a.org)
    services.kpi_update(kpi=leads, actor=world_a.admin, active=False)
    assert _values(conversion) == {}
    services.kpi_update(kpi=leads, actor=world_a.admin, active=True)
    assert _values(conversion) == {OCT: 25.0, NOV: 50.0}
    assert {m.origin for m in conversion.measurements.all()} == {"formula"}


def test_a_value_a_person_typed_on_the_formula_kpi_is_kept(world_a):
    _deals, leads, conversion = _conversion(world_a.org)
    record(conversion, "2026-10", 33, actor=world_a.admin)
    services.measurement_delete(measurement=leads.measurements.get(period=OCT), actor=None)
    assert _values(conversion) == {OCT: 33.0, NOV: 50.0}
