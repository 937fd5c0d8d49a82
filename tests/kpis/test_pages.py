"""The KPI pages, as people use them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from activity.models import ActivityEntry
from kpis.models import Kpi, Measurement
from tests.kpis.kpi_factories import make_kpi, record

# The day the factories record values as of (``record``'s default today).
RECORDED_ON = datetime(2026, 11, 27, 10, tzinfo=UTC)


def _next_month(org) -> str:
    """The first day of next month in the organisation's calendar: a monthly period in the future."""
    first = org.today().replace(day=1)
    return (first + timedelta(days=32)).replace(day=1).isoformat()


@pytest.fixture
def team_kpi(world_a) -> Kpi:
    return make_kpi(world_a.org, name="Qualified leads", owner_type="team", team=world_a.team, since=date(2025, 1, 1))


def test_manager_defines_a_kpi_and_records_its_first_values_inline(world_a, web):
    client = web(world_a.manager)
    assert client.get("/o/alpha/kpis/new/").status_code == 200
    r = client.post(
        "/o/alpha/kpis/new/",
        {
            "name": "Proposals sent",
            "description": "The last step we control before a deal.",
            "how_measured": "CRM stage 'Proposal', per month.",
            "owner_type": "team",
            "owner_team": world_a.team.pk,
            "perspective": "internal_process",
            "frequency": "monthly",
            "unit": "proposals",
            "direction": "higher_is_better",
            "target": "30",
            "amber_threshold": "24",
            "tracking_since": "2026-01-01",
        },
    )
    kpi = Kpi.objects.get(name="Proposals sent")
    assert r.status_code == 302 and r["Location"] == f"/o/alpha/kpis/{kpi.pk}/"
    assert kpi.owner_team == world_a.team and kpi.created_by == world_a.manager
    page = client.get(r["Location"]).content.decode()
    assert "The last step we control" in page and "CRM stage" in page and "≥ 30 proposals" in page
    assert "No values yet" in page and 'id="record"' in page
    # Inline (htmx) record: the answer is the refreshed KPI body, not a page.
    r = client.post(
        f"/o/alpha/kpis/{kpi.pk}/measurements/",
        {"period": "2026-10-01", "value": "26", "note": ""},
        HTTP_HX_REQUEST="true",
    )
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert "Value for October 2026 recorded." in html and "kpi-chip kpi-amber" in html and "kpi-chart-data" in html
    chart = json.loads(html.split('id="kpi-chart-data" type="application/json">')[1].split("</script>")[0])
    assert chart["values"] == [26] and chart["statuses"] == ["amber"] and chart["targets"] == [30]
    assert chart["bands"] == [{"from": 24, "to": 30, "kind": "amber"}]


def test_correcting_a_value_keeps_the_old_one_in_the_activity_log(world_a, web, team_kpi):
    record(team_kpi, date(2026, 9, 1), 70)
    client = web(world_a.manager)
    form = client.get(f"/o/alpha/kpis/{team_kpi.pk}/?period=2026-09-01").content.decode()
    assert '<option value="2026-09-01" selected>' in form and 'value="70"' in form  # prefilled to correct, no stray .0
    r = client.post(f"/o/alpha/kpis/{team_kpi.pk}/measurements/", {"period": "2026-09-01", "value": "95"})
    assert r.status_code == 302
    assert Measurement.objects.get(kpi=team_kpi).value == 95
    page = client.get(f"/o/alpha/kpis/{team_kpi.pk}/").content.decode()
    assert "September 2026 corrected from 70; the old value is kept in the activity log." in page
    assert "<del>70</del> → <strong>95</strong>" in page
    assert ActivityEntry.objects.get(verb="measurement.corrected").before["value"] == 70


def test_record_errors_come_back_in_the_form_and_nothing_is_saved(world_a, web, team_kpi):
    client = web(world_a.manager)
    url = f"/o/alpha/kpis/{team_kpi.pk}/measurements/"
    r = client.post(url, {"period": "2026-10-01", "value": "lots"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "Enter a number." in r.content.decode() and "<html" not in r.content.decode()
    r = client.post(url, {"period": _next_month(world_a.org), "value": "5"}, HTTP_HX_REQUEST="true")
    assert "is in the future" in r.content.decode()
    r = client.post(url, {"period": "2024-06-01", "value": "5"})  # before tracking started, without htmx
    assert r.status_code == 400 and "tracking start" in r.content.decode() and "<html" in r.content.decode()
    r = client.post(url, {"period": "whenever", "value": "5"})
    assert r.status_code == 400 and "is not a date" in r.content.decode()
    assert not Measurement.objects.exists()


def test_who_may_record(world_a, web, team_kpi):
    url = f"/o/alpha/kpis/{team_kpi.pk}/measurements/"
    data = {"period": "2026-10-01", "value": "90"}
    # The viewer, and a member of the team who does not own the KPI, may not.
    assert web(world_a.viewer).post(url, data).status_code == 403
    assert web(world_a.member).post(url, data).status_code == 403
    assert not Measurement.objects.exists()
    page = web(world_a.member).get(f"/o/alpha/kpis/{team_kpi.pk}/").content.decode()
    assert 'id="record"' not in page and "/edit/" not in page
    # The manager of the owning team may; so may an admin.
    assert web(world_a.manager).post(url, data).status_code == 302
    assert web(world_a.admin).post(url, {"period": "2026-09-01", "value": "80"}).status_code == 302
    # A member records the KPIs they own.
    mine = make_kpi(world_a.org, name="My calls", owner_type="person", user=world_a.member, since=date(2026, 1, 1))
    assert web(world_a.member).post(f"/o/alpha/kpis/{mine.pk}/measurements/", data).status_code == 302
    assert Measurement.objects.count() == 3


def test_who_may_define_and_change_kpis(world_a, web, team_kpi):
    base = {
        "name": "X",
        "perspective": "customer",
        "frequency": "monthly",
        "direction": "higher_is_better",
        "target": 1,
    }
    member = web(world_a.member)
    assert (
        member.post("/o/alpha/kpis/new/", {**base, "owner_type": "team", "owner_team": world_a.team.pk}).status_code
        == 403
    )
    assert member.post("/o/alpha/kpis/new/", {**base, "owner_type": "company"}).status_code == 403
    r = member.post("/o/alpha/kpis/new/", {**base, "owner_type": "person", "owner_user": world_a.member.pk})
    assert r.status_code == 302
    assert member.get(f"/o/alpha/kpis/{team_kpi.pk}/edit/").status_code == 403
    assert member.post(f"/o/alpha/kpis/{team_kpi.pk}/delete/").status_code == 403
    assert web(world_a.viewer).get("/o/alpha/kpis/new/").status_code == 403
    manager = web(world_a.manager)
    r = manager.post(
        f"/o/alpha/kpis/{team_kpi.pk}/edit/",
        {**base, "name": "Sales-qualified leads", "owner_type": "team", "owner_team": world_a.team.pk, "active": "on"},
    )
    assert r.status_code == 302
    assert Kpi.objects.get(pk=team_kpi.pk).name == "Sales-qualified leads"
    # ... but cannot hand it to a team they do not manage.
    r = manager.post(
        f"/o/alpha/kpis/{team_kpi.pk}/edit/", {**base, "owner_type": "team", "owner_team": world_a.other_team.pk}
    )
    assert r.status_code == 403
    assert manager.get(f"/o/alpha/kpis/{team_kpi.pk}/delete/").status_code == 200
    assert manager.post(f"/o/alpha/kpis/{team_kpi.pk}/delete/").status_code == 302
    assert not Kpi.objects.filter(pk=team_kpi.pk).exists()


def test_form_errors_name_the_field(world_a, web):
    r = web(world_a.admin).post(
        "/o/alpha/kpis/new/",
        {
            "name": "Margin",
            "owner_type": "company",
            "perspective": "financial",
            "frequency": "monthly",
            "direction": "higher_is_better",
            "target": "40",
            "amber_threshold": "45",
        },
    )
    assert r.status_code == 400
    assert "amber starts below the target" in r.context["form"].errors["amber_threshold"][0]
    r = web(world_a.admin).post(
        "/o/alpha/kpis/new/",
        {
            "name": "Range",
            "owner_type": "company",
            "perspective": "financial",
            "frequency": "monthly",
            "direction": "within_range",
        },
    )
    assert r.status_code == 400 and {"target_low", "target_high"} <= set(r.context["form"].errors)
    assert not Kpi.objects.exists()


def test_library_groups_by_perspective_then_owner_with_status_and_sparkline(world_a, web, team_kpi, pin_now):
    pin_now(RECORDED_ON)  # the sparkline shows the last 12 periods before today
    for month, value in [(8, 60), (9, 70), (10, 95)]:
        record(team_kpi, date(2026, month, 1), value)
    cash = make_kpi(world_a.org, name="Cash flow", perspective="financial", target=10, amber=5)
    record(cash, date(2026, 10, 1), 2)
    make_kpi(world_a.org, name="Absenteeism", perspective="internal_process", owner_type="person", user=world_a.member)
    make_kpi(world_a.org, name="Old KPI", perspective="financial", active=False)
    page = web(world_a.viewer).get("/o/alpha/kpis/").content.decode()
    html = page[page.index('class="kpi-perspective"') :]  # past the filter menus
    assert html.index("Financial") < html.index("Cash flow") < html.index("Customer") < html.index("Qualified leads")
    assert html.index("Internal process") < html.index(world_a.member.name) < html.index("Absenteeism")
    assert "Old KPI" not in html  # inactive KPIs are behind the filter
    row = html[html.index("Qualified leads") :].split("</tr>")[0]
    assert "<strong>95</strong>" in row and "kpi-chip kpi-amber" in row and "October 2026" in row
    assert '<svg class="spark spark-amber"' in row and "<polyline points=" in row
    cash_row = html[html.index("Cash flow") :].split("</tr>")[0]
    assert "kpi-chip kpi-red" in cash_row
    absent_row = html[html.index("Absenteeism") :].split("</tr>")[0]
    assert "No data" in absent_row and "spark-empty" in absent_row
    assert "1 amber" in page and "1 red" in page and "1 without data" in page
    only = web(world_a.viewer).get(f"/o/alpha/kpis/?owner=team:{world_a.team.pk}&show=all").content.decode()
    assert "Qualified leads" in only and "Cash flow" not in only
    assert "Old KPI" in web(world_a.viewer).get("/o/alpha/kpis/?show=inactive").content.decode()
    none = web(world_a.viewer).get(f"/o/alpha/kpis/?owner=team:{world_a.sub_team.pk}").content.decode()
    assert "No KPI matches these filters" in none


def test_empty_library_explains_kpis(world_a, web):
    html = web(world_a.member).get("/o/alpha/kpis/").content.decode()
    assert "No KPIs yet" in html and "Define the first KPI" in html
    assert "Define the first KPI" not in web(world_a.viewer).get("/o/alpha/kpis/").content.decode()


def test_another_organisations_kpi_is_a_404_through_every_page(world_a, world_b, web):
    other = make_kpi(world_b.org, name="Beta KPI", since=date(2026, 1, 1))
    client = web(world_a.admin)
    for url in ("", "edit/", "delete/"):
        assert client.get(f"/o/alpha/kpis/{other.pk}/{url}").status_code == 404
    assert client.post(f"/o/alpha/kpis/{other.pk}/edit/", {"name": "x"}).status_code == 404
    assert client.post(f"/o/alpha/kpis/{other.pk}/delete/").status_code == 404
    assert (
        client.post(f"/o/alpha/kpis/{other.pk}/measurements/", {"period": "2026-10-01", "value": 1}).status_code == 404
    )
    assert client.get(f"/o/beta/kpis/{other.pk}/").status_code == 404  # not a member of beta
    assert client.get("/o/beta/kpis/").status_code == 404
    assert client.get("/o/beta/kpis/export.csv").status_code == 404
    assert Kpi.objects.get(pk=other.pk).name == "Beta KPI" and not Measurement.objects.exists()


def _bulk(world, n: int, start: int = 0) -> None:
    kpis = Kpi.objects.bulk_create(
        [
            Kpi(
                organization=world.org,
                name=f"KPI {start + i:03d}",
                owner_type=("company", "team", "person")[i % 3],
                owner_team=world.team if i % 3 == 1 else None,
                owner_user=world.member if i % 3 == 2 else None,
                direction="higher_is_better",
                target=100,
                amber_threshold=80,
                frequency="monthly",
                perspective=("financial", "customer", "internal_process", "learning_growth")[i % 4],
                tracking_since=date(2025, 1, 1),
            )
            for i in range(n)
        ]
    )
    Measurement.objects.bulk_create(
        [
            Measurement(organization=world.org, kpi=k, period=date(2025 + (m // 12), m % 12 + 1, 1), value=50 + m * 3)
            for k in kpis
            for m in range(20)
        ]
    )


def test_library_query_count_is_the_same_for_10_and_200_kpis(world_a, web, django_assert_max_num_queries, pin_now):
    pin_now(RECORDED_ON)  # the sparkline shows the last 12 periods before today
    client = web(world_a.viewer)
    _bulk(world_a, 10)
    with django_assert_max_num_queries(15) as small:
        r = client.get("/o/alpha/kpis/")
    assert r.content.decode().count('class="kpi-row"') == 10
    _bulk(world_a, 190, start=10)
    with django_assert_max_num_queries(15) as large:
        r = client.get("/o/alpha/kpis/")
    assert r.content.decode().count('class="kpi-row"') == 200
    assert r.content.decode().count("<polyline") == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_detail_query_count_does_not_grow_with_history(world_a, web, team_kpi, django_assert_max_num_queries):
    client = web(world_a.manager)
    record(team_kpi, date(2026, 1, 1), 1)
    with django_assert_max_num_queries(20) as small:
        client.get(f"/o/alpha/kpis/{team_kpi.pk}/")
    for month in range(2, 12):
        record(team_kpi, date(2026, month, 1), month)
    with django_assert_max_num_queries(20) as large:
        client.get(f"/o/alpha/kpis/{team_kpi.pk}/")
    assert len(large.captured_queries) == len(small.captured_queries)


def test_pages_speak_vietnamese(world_a, web, team_kpi):
    from django.utils import translation

    from orgs.models import Organization

    with translation.override("vi"):
        vi = {
            m: translation.gettext(m)
            for m in ("Customer", "Latest", "New KPI", "Record a value", "Why it matters", "How it is measured")
        }
        future = translation.gettext("The period starting %(date)s is in the future.") % {"date": "X"}
    assert all(vi[m] != m for m in vi)  # the catalogue really translates them
    Organization.objects.filter(pk=world_a.org.pk).update(language="vi")
    record(team_kpi, date(2026, 10, 1), 85)
    client = web(world_a.manager)
    library = client.get("/o/alpha/kpis/").content.decode()
    assert vi["Customer"] in library and vi["Latest"] in library and vi["New KPI"] in library
    detail = client.get(f"/o/alpha/kpis/{team_kpi.pk}/").content.decode()
    assert vi["Record a value"] in detail and vi["Why it matters"] in detail and vi["How it is measured"] in detail
    r = client.post(
        f"/o/alpha/kpis/{team_kpi.pk}/measurements/",
        {"period": _next_month(world_a.org), "value": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert future.split("X")[-1].strip(" .") in r.content.decode()
