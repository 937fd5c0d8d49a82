"""Cycles in the browser: quarter presets from the fiscal year, statuses, who may do what."""

from __future__ import annotations

from datetime import date

import pytest

from cycles.models import Cycle
from cycles.services import cycle_presets
from tests.objectives.okr_factories import make_cycle, make_objective


@pytest.mark.django_db
def test_presets_follow_a_fiscal_year_starting_in_april(world_a):
    world_a.org.fiscal_year_start_month = 4
    presets = cycle_presets(org=world_a.org, fiscal_year=2026)
    assert [(p.name, p.start_date, p.end_date) for p in presets] == [
        ("Q1 FY2026", date(2026, 4, 1), date(2026, 6, 30)),
        ("Q2 FY2026", date(2026, 7, 1), date(2026, 9, 30)),
        ("Q3 FY2026", date(2026, 10, 1), date(2026, 12, 31)),
        ("Q4 FY2026", date(2027, 1, 1), date(2027, 3, 31)),
        ("FY2026", date(2026, 4, 1), date(2027, 3, 31)),
    ]


@pytest.mark.django_db
def test_calendar_year_presets(world_a):
    names = [p.name for p in cycle_presets(org=world_a.org, fiscal_year=2027)]
    assert names == ["Q1 2027", "Q2 2027", "Q3 2027", "Q4 2027", "Year 2027"]


@pytest.mark.django_db
def test_admin_creates_a_cycle_from_a_preset_and_moves_it_along(world_a, client):
    q1 = {"name": "Q1 2027", "kind": "quarter", "start_date": "2027-01-01", "end_date": "2027-03-31"}
    # Cycles are the whole organisation's: a manager neither sees the forms nor may post them.
    client.force_login(world_a.manager)
    page = client.get("/o/alpha/cycles/").content.decode()
    assert "Quick start" not in page and "Create cycle" not in page
    assert client.post("/o/alpha/cycles/", q1).status_code == 403
    client.force_login(world_a.admin)
    page = client.get("/o/alpha/cycles/").content.decode()
    assert "Quick start" in page
    r = client.post("/o/alpha/cycles/", q1)
    assert r.status_code == 302
    cycle = Cycle.objects.get(organization=world_a.org, name="Q1 2027")
    assert cycle.status == "planning"
    client.post(f"/o/alpha/cycles/{cycle.pk}/status/", {"status": "active"})
    # Closing is not one click: the status form leads to the review page, which closes.
    r = client.post(f"/o/alpha/cycles/{cycle.pk}/status/", {"status": "closed"})
    assert r.status_code == 302 and r["Location"] == f"/o/alpha/cycles/{cycle.pk}/close/"
    cycle.refresh_from_db()
    assert cycle.status == "active"
    client.post(f"/o/alpha/cycles/{cycle.pk}/close/", {"closing_message": "Done."})
    cycle.refresh_from_db()
    assert cycle.status == "closed"
    client.force_login(world_a.manager)
    assert client.post(f"/o/alpha/cycles/{cycle.pk}/status/", {"status": "active"}).status_code == 403  # admins only


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "kind": "quarter", "start_date": "2027-01-01", "end_date": "2027-03-31"}, "required"),
        ({"name": "Bad", "kind": "quarter", "start_date": "2027-04-01", "end_date": "2027-03-31"}, "on or after"),
        ({"name": "Bad", "kind": "quarter", "start_date": "soon", "end_date": "2027-03-31"}, "valid date"),
    ],
)
def test_bad_cycles_are_form_errors(world_a, client, data, message):
    client.force_login(world_a.admin)
    r = client.post("/o/alpha/cycles/", data)
    assert r.status_code == 400 and message in r.content.decode()
    assert not Cycle.objects.exists()


@pytest.mark.django_db
def test_members_and_viewers_cannot_manage_cycles(world_a, client):
    cycle = make_cycle(world_a.org)
    for user in (world_a.member, world_a.viewer):
        client.force_login(user)
        assert "Quick start" not in client.get("/o/alpha/cycles/").content.decode()
        assert (
            client.post(
                "/o/alpha/cycles/",
                {"name": "X", "kind": "quarter", "start_date": "2027-01-01", "end_date": "2027-03-31"},
            ).status_code
            == 403
        )
        assert client.post(f"/o/alpha/cycles/{cycle.pk}/status/", {"status": "closed"}).status_code == 403


@pytest.mark.django_db
def test_a_cycle_with_objectives_is_closed_not_deleted(world_a, client):
    cycle = make_cycle(world_a.org)
    make_objective(world_a.org, cycle)
    client.force_login(world_a.admin)
    r = client.post(f"/o/alpha/cycles/{cycle.pk}/delete/", follow=True)
    assert "close it instead" in r.content.decode()
    assert Cycle.objects.filter(pk=cycle.pk).exists()
