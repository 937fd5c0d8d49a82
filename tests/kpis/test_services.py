"""The rules of KPIs and measurements, enforced by the services whoever calls them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from activity.models import ActivityEntry
from kpis import services
from kpis.models import Kpi, Measurement
from orgs.models import Organization
from tests.kpis.kpi_factories import make_kpi, record

TODAY = date(2026, 11, 27)


@pytest.fixture
def kpi(world_a) -> Kpi:
    return make_kpi(world_a.org, owner_type="team", team=world_a.team, since=date(2026, 1, 1))


def _log(kpi: Kpi, verb: str) -> list[ActivityEntry]:
    return list(ActivityEntry.objects.filter(target_type="kpis.kpi", target_id=kpi.pk, verb=verb).order_by("id"))


# --- defining KPIs -------------------------------------------------------------------------


def test_create_logs_the_definition_and_defaults_tracking_to_the_fiscal_year(world_a, monkeypatch):
    Organization.objects.filter(pk=world_a.org.pk).update(fiscal_year_start_month=4)
    world_a.org.refresh_from_db()
    monkeypatch.setattr(Organization, "today", lambda self: TODAY)
    kpi = make_kpi(world_a.org, since=None)
    assert kpi.tracking_since == date(2026, 4, 1)
    [entry] = _log(kpi, "kpi.created")
    assert entry.after["target"] == 100 and entry.after["tracking_since"] == "2026-04-01"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"target": None}, "target"),
        ({"target": "lots"}, "target"),
        ({"target": float("nan")}, "target"),
        ({"target": float("inf")}, "target"),
        ({"target": 1e16}, "target"),
        ({"target": 100, "amber": 120}, "amber_threshold"),  # higher is better: amber must sit below the target
        ({"direction": "lower_is_better", "target": 5, "amber": 4}, "amber_threshold"),
        ({"direction": "within_range", "target": None, "low": None, "high": 50}, "target_low"),
        ({"direction": "within_range", "target": None, "low": 30, "high": None}, "target_high"),
        ({"direction": "within_range", "target": None, "low": 60, "high": 50}, "target_high"),
        ({"direction": "within_range", "target": None, "low": 30, "high": 50, "amber": -1}, "amber_threshold"),
        ({"direction": "sideways"}, "direction"),
        ({"frequency": "daily"}, "frequency"),
        ({"perspective": "vibes"}, "perspective"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"owner_type": "team"}, "owner_team"),
        ({"owner_type": "person"}, "owner_user"),
        ({"owner_type": "galaxy"}, "owner_type"),
        ({"since": "last spring"}, "tracking_since"),
    ],
)
def test_bad_definitions_are_refused_and_nothing_saved(world_a, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        make_kpi(world_a.org, **kwargs)
    assert field in exc.value.message_dict
    assert not Kpi.objects.exists()


def test_owners_must_belong_to_the_organisation(world_a, world_b, outsider):
    with pytest.raises(ValidationError) as exc:
        make_kpi(world_a.org, owner_type="team", team=world_b.team)
    assert "owner_team" in exc.value.message_dict
    for user in (outsider, world_b.member):
        with pytest.raises(ValidationError) as exc:
            make_kpi(world_a.org, owner_type="person", user=user)
        assert "owner_user" in exc.value.message_dict


def test_a_range_kpi_keeps_only_its_range(world_a):
    kpi = make_kpi(world_a.org, direction="within_range", target=99, low=30, high=50, amber=5)
    assert (kpi.target, kpi.target_low, kpi.target_high, kpi.amber_threshold) == (None, 30, 50, 5)


def test_update_logs_only_what_changed(kpi, world_a):
    services.kpi_update(kpi=kpi, actor=world_a.manager, name="Sales-qualified leads", amber_threshold=70)
    [entry] = _log(kpi, "kpi.updated")
    assert entry.before == {"name": "Qualified leads", "amber_threshold": 80}
    assert entry.after == {"name": "Sales-qualified leads", "amber_threshold": 70}
    services.kpi_update(kpi=kpi, actor=world_a.manager, name="Sales-qualified leads")
    assert len(_log(kpi, "kpi.updated")) == 1  # nothing changed, nothing logged


def test_frequency_and_tracking_start_cannot_orphan_recorded_values(kpi):
    record(kpi, date(2026, 3, 1), 90)
    with pytest.raises(ValidationError) as exc:
        services.kpi_update(kpi=kpi, actor=None, frequency="quarterly")
    assert "frequency" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.kpi_update(kpi=kpi, actor=None, tracking_since=date(2026, 6, 1))
    assert "tracking_since" in exc.value.message_dict
    services.kpi_update(kpi=kpi, actor=None, tracking_since=date(2026, 3, 20))  # same period: fine
    assert Kpi.objects.get(pk=kpi.pk).tracking_since == date(2026, 3, 20)


def test_delete_keeps_the_definition_in_the_log(kpi, world_a):
    record(kpi, date(2026, 3, 1), 90)
    services.kpi_delete(kpi=kpi, actor=world_a.admin)
    assert not Measurement.objects.exists()
    entry = ActivityEntry.objects.get(verb="kpi.deleted")
    assert entry.before["name"] == "Qualified leads" and entry.before["measurements"] == 1


# --- recording values ------------------------------------------------------------------------


def test_a_period_is_normalised_to_its_first_day(kpi, world_a):
    m = record(kpi, "2026-10-17", 95, actor=world_a.member)
    assert m.period == date(2026, 10, 1)
    assert m.author == world_a.member and m.organization == world_a.org


def test_a_second_value_for_the_period_corrects_it_and_keeps_the_old_one_in_the_log(kpi, world_a):
    first = services.measurement_record(
        kpi=kpi, actor=world_a.member, period=date(2026, 10, 1), value=95, note="from the CRM", today=TODAY
    )
    assert first.created and first.changed
    second = services.measurement_record(
        kpi=kpi, actor=world_a.manager, period=date(2026, 10, 31), value=97, today=TODAY
    )
    assert not second.created and second.changed and second.previous == 95
    m = Measurement.objects.get()  # never a second row
    assert (m.period, m.value, m.note, m.author) == (date(2026, 10, 1), 97, "from the CRM", world_a.manager)
    [corrected] = _log(kpi, "measurement.corrected")
    assert corrected.before == {
        "period": "2026-10-01",
        "value": 95,
        "note": "from the CRM",
        "author": world_a.member.pk,
        "origin": "manual",
    }
    assert corrected.after["value"] == 97 and corrected.actor == world_a.manager
    # The same value again changes nothing and logs nothing.
    again = services.measurement_record(kpi=kpi, actor=world_a.manager, period="2026-10", value="97", today=TODAY)
    assert not again.changed
    assert len(_log(kpi, "measurement.corrected")) == 1
    # An explicit empty note clears it.
    services.measurement_record(kpi=kpi, actor=world_a.manager, period="2026-10", value=97, note="", today=TODAY)
    assert Measurement.objects.get().note == ""


@pytest.mark.parametrize("value", ["abc", "", None, float("nan"), float("inf"), "-inf", True, 1e16, [1]])
def test_values_must_be_finite_numbers(kpi, value):
    with pytest.raises(ValidationError) as exc:
        services.measurement_record(kpi=kpi, actor=None, period=date(2026, 10, 1), value=value, today=TODAY)
    assert "value" in exc.value.message_dict
    assert not Measurement.objects.exists()


def test_a_future_period_is_refused_but_the_current_one_is_fine(kpi):
    with pytest.raises(ValidationError, match="in the future") as exc:
        services.measurement_record(kpi=kpi, actor=None, period=date(2026, 12, 1), value=1, today=TODAY)
    assert "period" in exc.value.message_dict
    services.measurement_record(kpi=kpi, actor=None, period=date(2026, 11, 30), value=1, today=TODAY)
    assert Measurement.objects.get().period == date(2026, 11, 1)


def test_a_period_before_tracking_started_is_refused(kpi):
    with pytest.raises(ValidationError, match="before this KPI's tracking start") as exc:
        services.measurement_record(kpi=kpi, actor=None, period=date(2025, 12, 31), value=1, today=TODAY)
    assert "period" in exc.value.message_dict
    # The period containing the tracking start is fine, whatever its day.
    services.kpi_update(kpi=kpi, actor=None, tracking_since=date(2025, 12, 15))
    services.measurement_record(kpi=kpi, actor=None, period=date(2025, 12, 1), value=1, today=TODAY)
    assert Measurement.objects.count() == 1


@pytest.mark.parametrize("period", ["2026-13-01", "soon", "", "31/10/2026"])
def test_a_period_that_is_not_a_date_is_refused(kpi, period):
    with pytest.raises(ValidationError) as exc:
        services.measurement_record(kpi=kpi, actor=None, period=period, value=1, today=TODAY)
    assert "period" in exc.value.message_dict


def test_a_long_note_is_refused(kpi):
    with pytest.raises(ValidationError) as exc:
        services.measurement_record(
            kpi=kpi, actor=None, period=date(2026, 10, 1), value=1, note="x" * 2001, today=TODAY
        )
    assert "note" in exc.value.message_dict


def test_quarterly_kpis_use_the_fiscal_quarter(world_a):
    Organization.objects.filter(pk=world_a.org.pk).update(fiscal_year_start_month=4)
    world_a.org.refresh_from_db()
    kpi = make_kpi(world_a.org, frequency="quarterly")
    assert record(kpi, date(2026, 3, 15), 5).period == date(2026, 1, 1)
    assert record(kpi, date(2026, 5, 15), 5).period == date(2026, 4, 1)


def test_the_organisations_time_zone_decides_what_the_current_period_is(world_a, monkeypatch):
    """On 30 November at 20:00 UTC it is already 1 December in Ho Chi Minh City."""
    Organization.objects.filter(pk=world_a.org.pk).update(timezone="Asia/Ho_Chi_Minh")
    world_a.org.refresh_from_db()
    kpi = make_kpi(world_a.org)
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 11, 30, 20, 0, tzinfo=UTC))
    assert world_a.org.today() == date(2026, 12, 1)
    services.measurement_record(kpi=kpi, actor=None, period=date(2026, 12, 1), value=1)
    Organization.objects.filter(pk=world_a.org.pk).update(timezone="UTC")
    kpi.refresh_from_db()
    with pytest.raises(ValidationError, match="in the future"):
        services.measurement_record(kpi=kpi, actor=None, period=date(2026, 12, 1), value=2)


def test_deleting_a_value_is_logged(kpi, world_a):
    m = record(kpi, date(2026, 10, 1), 95)
    services.measurement_delete(measurement=m, actor=world_a.admin)
    assert not Measurement.objects.exists()
    [entry] = _log(kpi, "measurement.deleted")
    assert entry.before["value"] == 95


def test_an_update_locks_only_the_kpi_row_not_its_organisation(kpi, world_a):
    """Grading, measurements and check-ins lock rows in the order cycle → key result → KPI; an
    edit that also locked the organisation row (``FOR UPDATE`` over the joined organisation)
    deadlocked with them under load, so only the KPI row is locked."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks (select_for_update writes no FOR UPDATE)")
    with CaptureQueriesContext(connection) as queries:
        services.kpi_update(kpi=kpi, actor=world_a.admin, name="Qualified leads, monthly")
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert locks and all('FOR UPDATE OF "kpis_kpi"' in sql for sql in locks), locks
