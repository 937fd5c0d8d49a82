"""The end-of-cycle ritual through the pages and the API: the review page, grading with htmx,
retrospectives and their review, the close, read-only closed cycles (400/403), re-opening,
carry-over, the backlog, the report, and the exports opened by a spreadsheet library."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from django.test import Client
from openpyxl import load_workbook

from activity.models import ActivityEntry
from cycles.models import Cycle
from objectives import services
from objectives.models import KeyResult, Objective, Retrospective
from rituals import services as ritual_services
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


@pytest.fixture
def cycle(world_a):
    return make_cycle(world_a.org)


@pytest.fixture
def objective(world_a, cycle):
    o = make_objective(world_a.org, cycle, title="Delight customers", owner_type="team", team=world_a.sub_team)
    for title, value in (("NPS", 7.4), ("Reply time", 3.5)):
        kr = make_kr(o, title=title, owner=world_a.member, start=0, target=10)
        services.key_result_check_in(key_result=kr, actor=world_a.member, value=value, confidence=7)
    return o


def krs(objective) -> list[KeyResult]:
    return list(KeyResult.objects.filter(objective=objective).order_by("id"))


def close_url(cycle) -> str:
    return f"/o/alpha/cycles/{cycle.pk}/close/"


# --- pages ---------------------------------------------------------------------------------


def test_review_page_prefills_grades_and_lists_what_is_unacknowledged(world_a, cycle, objective, web):
    page = web(world_a.member).get(close_url(cycle)).content.decode()
    assert "Delight customers" in page and "NPS" in page
    assert re.search(r'name="grade-\d+" value="0.7"', page) and re.search(r'name="grade-\d+" value="0.4"', page)
    assert "0.55" in page  # the objective's grade: the mean of 0.7 and 0.4
    admin_page = web(world_a.admin).get(close_url(cycle)).content.decode()
    assert "1 retrospective is not acknowledged yet" in admin_page
    assert "Close the cycle" in admin_page
    assert "Close the cycle" not in page  # members do not close cycles
    assert "Close the cycle" not in web(world_a.manager).get(close_url(cycle)).content.decode()  # nor managers


def test_grading_with_htmx_returns_the_objective_and_keeps_a_refused_value(world_a, cycle, objective, web):
    a, _b = krs(objective)
    client = web(world_a.member)
    r = client.post(f"/o/alpha/key-results/{a.pk}/grade/", {"grade": "1.3", "grade_note": ""}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400
    body = r.content.decode()
    assert 'id="objective-' in body and "between 0.0 and 1.0" in body and 'value="1.3"' in body
    r = client.post(f"/o/alpha/key-results/{a.pk}/grade/", {"grade": "1", "grade_note": ""}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400 and "say why in a note" in r.content.decode()
    a.refresh_from_db()
    assert a.grade is None
    r = client.post(
        f"/o/alpha/key-results/{a.pk}/grade/", {"grade": "1", "grade_note": "Late answers"}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 200 and "override" in r.content.decode()
    a.refresh_from_db()
    assert a.grade == 1.0


def test_only_the_owner_or_a_manager_grades(world_a, world_b, cycle, objective, web):
    a, _b = krs(objective)
    assert web(world_a.viewer).post(f"/o/alpha/key-results/{a.pk}/grade/", {"grade": "0.5"}).status_code == 403
    assert web(world_b.admin).post(f"/o/beta/key-results/{a.pk}/grade/", {"grade": "0.5"}).status_code == 404


def test_retrospective_review_and_close_through_the_pages(world_a, cycle, objective, web):
    # web(user) logs the one test client in as that user.
    r = web(world_a.manager).post(
        f"/o/alpha/okrs/{objective.pk}/retrospective/",
        {"went_well": "Surveys", "went_badly": "", "learned": "Ask early"},
    )
    assert r.status_code == 302
    # The member cannot acknowledge; the reviewer (manager of the team above) can.
    assert (
        web(world_a.member)
        .post(f"/o/alpha/okrs/{objective.pk}/retrospective/review/", {"acknowledge": "1"})
        .status_code
        == 403
    )
    manager = web(world_a.manager)
    assert manager.post(close_url(cycle), {"closing_message": "Thanks all"}).status_code == 403  # admins close
    admin = Client()
    admin.force_login(world_a.admin)
    r = admin.post(close_url(cycle), {"closing_message": "Thanks all"})
    assert r.status_code == 400 and "not acknowledged" in r.content.decode()
    assert "Thanks all" in r.content.decode()  # what was typed comes back
    assert manager.post(f"/o/alpha/okrs/{objective.pk}/retrospective/review/", {"acknowledge": "1"}).status_code == 302
    r = admin.post(close_url(cycle), {"closing_message": "Thanks all"})
    assert r.status_code == 302
    cycle.refresh_from_db()
    assert cycle.status == "closed" and cycle.closing_message == "Thanks all"
    page = web(world_a.admin).get(close_url(cycle)).content.decode()
    assert "Thanks all" in page and "Carry over" in page and "Re-open" in page
    assert 'name="grade' not in page  # frozen


def test_only_admins_force_a_close(world_a, cycle, objective, web):
    assert web(world_a.manager).post(close_url(cycle), {"force": "1"}).status_code == 403
    assert web(world_a.admin).post(close_url(cycle), {"force": "1"}).status_code == 302
    assert ActivityEntry.objects.filter(verb="cycle.closed_unacknowledged").count() == 1


def test_closed_cycle_pages_refuse_writes_with_a_message(world_a, cycle, objective, web):
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    client = web(world_a.admin)
    a, _b = krs(objective)
    r = client.post(f"/o/alpha/key-results/{a.pk}/grade/", {"grade": "0.2", "grade_note": "x"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400 and "closed" in r.content.decode()
    detail = client.get(f"/o/alpha/okrs/{objective.pk}/").content.decode()
    assert "Check in" not in detail and "Grades and retrospective" in detail
    # Re-open (admins only), logged, grades kept.
    assert web(world_a.manager).post(f"/o/alpha/cycles/{cycle.pk}/status/", {"status": "active"}).status_code == 403
    web(world_a.admin).post(f"/o/alpha/cycles/{cycle.pk}/status/", {"status": "active"})
    cycle.refresh_from_db()
    assert cycle.status == "active" and krs(objective)[0].grade == 0.7


def test_carry_over_and_backlog_pages(world_a, cycle, objective, web):
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    client = web(world_a.manager)
    a, b = krs(objective)
    r = client.post(
        f"/o/alpha/cycles/{cycle.pk}/carry-over/",
        {"objective": [objective.pk], "key_result": [b.pk], "target": "backlog"},
    )
    assert r.status_code == 302 and r["Location"] == "/o/alpha/okrs/backlog/"
    copy = Objective.objects.get(carried_from=objective)
    assert copy.cycle is None and [kr.title for kr in krs(copy)] == ["Reply time"]
    page = client.get("/o/alpha/okrs/backlog/").content.decode()
    assert "Delight customers" in page and "Open a cycle to plan it." in page
    detail = client.get(f"/o/alpha/okrs/{copy.pk}/").content.decode()
    assert "Carried over from" in detail and "Backlog" in detail
    nxt = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), status="planning")
    # Planning into a closed cycle is refused with the reason.
    r = client.post(f"/o/alpha/okrs/{copy.pk}/plan/", {"cycle": cycle.pk}, follow=True)
    assert "is closed" in r.content.decode()
    r = client.post(f"/o/alpha/okrs/{copy.pk}/plan/", {"cycle": nxt.pk})
    assert r.status_code == 302
    copy.refresh_from_db()
    assert copy.cycle == nxt
    # Editing a planned copy works as any objective; the edit form of a backlog one offers the backlog.
    (again,) = ritual_services.objectives_carry_over(
        org=world_a.org, actor=world_a.admin, objectives=[objective], target=None
    )
    form = client.get(f"/o/alpha/okrs/{again.pk}/edit/").content.decode()
    assert "Backlog (no cycle yet)" in form


def test_the_one_click_close_now_leads_to_the_review(world_a, cycle, web):
    r = web(world_a.admin).post(f"/o/alpha/cycles/{cycle.pk}/status/", {"status": "closed"})
    assert r.status_code == 302 and r["Location"] == close_url(cycle)
    assert Cycle.objects.get(pk=cycle.pk).status == "active"


def test_report_page_shows_statistics_and_prints(world_a, cycle, objective, web, django_assert_max_num_queries):
    for i in range(10):
        make_objective(world_a.org, cycle, title=f"More {i}", krs=2, kr_owner=world_a.member)
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    client = web(world_a.viewer)
    with django_assert_max_num_queries(20):
        page = client.get(f"/o/alpha/cycles/{cycle.pk}/report/").content.decode()
    assert "Quarter statistics" in page and "objectives achieved" in page and "Grades per team" in page
    assert "data-print" in page and "More 9" in page


# --- exports -------------------------------------------------------------------------------


def test_exports_open_in_a_spreadsheet_library_and_formulas_stay_text(world_a, cycle, objective, web):
    Objective.objects.filter(pk=objective.pk).update(title='=HYPERLINK("http://evil")')
    Retrospective.objects.create(
        organization=world_a.org, objective=objective, went_well="+1 for the team", learned="@all"
    )
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    client = web(world_a.viewer)
    r = client.get(f"/o/alpha/cycles/{cycle.pk}/export.xlsx")
    assert r.status_code == 200 and r["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Objective" and len(rows) == 3
    title_cell = sheet.cell(row=2, column=1)
    assert title_cell.data_type == "s" and title_cell.value == '\'=HYPERLINK("http://evil")'
    assert rows[1][6] == 0.55 and rows[1][15] == 0.7  # the objective's and the key result's grades are numbers
    assert rows[1][17] == "'+1 for the team" and rows[1][19] == "'@all"
    r = client.get(f"/o/alpha/cycles/{cycle.pk}/export.csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[1][0] == '\'=HYPERLINK("http://evil")' and table[1][8] == "NPS" and table[1][15] == "0.7"
    assert client.get(f"/o/alpha/cycles/{cycle.pk}/export.pdf").status_code == 404


# --- API -----------------------------------------------------------------------------------


API = "/api/v1/orgs/alpha"


def test_api_grade_review_close_reopen(world_a, cycle, objective, api):
    a, _b = krs(objective)
    member, manager, admin = api(world_a.member), api(world_a.manager), api(world_a.admin)
    r = member.post(f"{API}/key-results/{a.pk}/grade/", {"grade": "high"}, format="json")
    assert r.status_code == 400 and "not a number" in r.json()["message"]
    r = member.post(f"{API}/key-results/{a.pk}/grade/", {"grade": 2}, format="json")
    assert r.status_code == 400 and "between 0.0 and 1.0" in r.json()["message"]
    r = member.post(f"{API}/key-results/{a.pk}/grade/", {"grade": 0.9}, format="json")
    assert r.status_code == 400 and r.json()["errors"]["grade_note"]
    r = member.post(f"{API}/key-results/{a.pk}/grade/", {"grade": 0.9, "note": "Late answers"}, format="json")
    assert r.status_code == 200 and r.json() == {
        "id": a.pk,
        "grade": 0.9,
        "grade_note": "Late answers",
        "suggested_grade": 0.7,
    }
    assert (
        api(world_a.viewer).post(f"{API}/key-results/{a.pk}/grade/", {"grade": 0.7}, format="json").status_code == 403
    )
    r = manager.post(f"{API}/objectives/{objective.pk}/retrospective/", {"went_well": "Surveys"}, format="json")
    assert r.status_code == 200 and r.json()["went_well"] == "Surveys" and r.json()["acknowledged"] is False
    assert member.post(f"{API}/objectives/{objective.pk}/retrospective/review/", {}, format="json").status_code == 403
    assert manager.post(f"{API}/cycles/{cycle.pk}/close/", {"closing_message": "Bye"}, format="json").status_code == 403
    r = admin.post(f"{API}/cycles/{cycle.pk}/close/", {"closing_message": "Bye"}, format="json")
    assert r.status_code == 400 and "not acknowledged" in r.json()["message"]
    assert manager.post(f"{API}/cycles/{cycle.pk}/close/", {"force": True}, format="json").status_code == 403
    r = manager.post(f"{API}/objectives/{objective.pk}/retrospective/review/", {"acknowledge": True}, format="json")
    assert r.status_code == 200 and r.json()["acknowledged"] is True
    r = admin.post(f"{API}/cycles/{cycle.pk}/close/", {"closing_message": "Bye"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["closing_message"] == "Bye"
    body = admin.get(f"{API}/objectives/{objective.pk}/").json()
    assert body["grade"] == pytest.approx((0.9 + 0.4) / 2, abs=0.01) and body["commitment"] == "committed"
    # Read-only: every write is a clear 400; the reopen is an admin's.
    r = member.post(f"{API}/check-ins/", {"key_result": a.pk, "value": 9, "confidence": 5}, format="json")
    assert r.status_code == 400 and "closed" in r.json()["message"]
    r = admin.patch(f"{API}/objectives/{objective.pk}/", {"title": "New"}, format="json")
    assert r.status_code == 400 and "closed" in r.json()["message"]
    r = admin.patch(f"{API}/cycles/{cycle.pk}/", {"name": "Renamed"}, format="json")
    assert r.status_code == 400 and "read-only" in r.json()["message"]
    r = manager.post(f"{API}/objectives/{objective.pk}/retrospective/", {"went_well": "late"}, format="json")
    assert r.status_code == 400 and "closed" in r.json()["message"]
    assert manager.patch(f"{API}/cycles/{cycle.pk}/", {"status": "active"}, format="json").status_code == 403
    r = admin.patch(f"{API}/cycles/{cycle.pk}/", {"status": "active"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "active"
    assert admin.get(f"{API}/key-results/{a.pk}/").json()["grade"] == 0.9  # kept


def test_api_patch_close_checks_the_reviews_too(world_a, cycle, objective, api):
    r = api(world_a.admin).patch(f"{API}/cycles/{cycle.pk}/", {"status": "closed"}, format="json")
    assert r.status_code == 400 and "not acknowledged" in r.json()["message"]
    assert Cycle.objects.get(pk=cycle.pk).status == "active"


def test_api_carry_over(world_a, world_b, cycle, objective, api):
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    nxt = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), status="planning")
    foreign = make_cycle(world_b.org, name="B", start=date(2027, 1, 1), status="planning")
    client = api(world_a.manager)
    url = f"{API}/objectives/carry-over/"
    for target, message in ((cycle.pk, "is closed"), (foreign.pk, "Unknown cycle")):
        r = client.post(url, {"objectives": [objective.pk], "cycle": target}, format="json")
        assert r.status_code == 400 and message in r.json()["message"]
    r = client.post(url, {"objectives": [999999], "cycle": nxt.pk}, format="json")
    assert r.status_code == 400
    a, _b = krs(objective)
    r = client.post(url, {"objectives": [objective.pk], "key_results": [a.pk], "cycle": nxt.pk}, format="json")
    assert r.status_code == 201
    (copy,) = r.json()
    assert copy["cycle"] == nxt.pk and copy["carried_from"] == objective.pk
    r = client.post(url, {"objectives": [objective.pk], "cycle": None}, format="json")
    assert r.status_code == 201 and r.json()[0]["cycle"] is None
    backlog = client.get(f"{API}/objectives/?cycle=null").json()
    assert [o["id"] for o in backlog["results"]] == [r.json()[0]["id"]]
    assert (
        api(world_a.viewer).post(url, {"objectives": [objective.pk], "cycle": None}, format="json").status_code == 403
    )


# --- the organisation's grade-note setting -------------------------------------------------

SETTINGS = {
    "name": "ALPHA",
    "timezone": "UTC",
    "language": "en",
    "fiscal_year_start_month": 1,
    "children_contribute": "on",
    "reminder_hour": 9,
    "reminder_grace_days": 3,
}


def test_admin_sets_whether_a_changed_grade_needs_a_note_and_page_and_api_follow(world_a, cycle, objective, web, api):
    a, b = krs(objective)
    assert web(world_a.manager).post("/o/alpha/settings/", SETTINGS).status_code == 403
    admin = web(world_a.admin)
    page = admin.get("/o/alpha/settings/").content.decode()
    assert 'name="grade_note_required"' in page and "refused without a note" in page
    assert admin.post("/o/alpha/settings/", SETTINGS).status_code == 302  # the box left unticked: off
    world_a.org.refresh_from_db()
    assert world_a.org.grade_note_required is False
    entry = ActivityEntry.objects.filter(verb="organization.updated").latest("id")
    assert entry.before["grade_note_required"] is True and entry.after["grade_note_required"] is False

    member = web(world_a.member)
    assert "(optional)" in member.get(close_url(cycle)).content.decode()
    r = member.post(f"/o/alpha/key-results/{a.pk}/grade/", {"grade": "1", "grade_note": ""}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    r = api(world_a.member).post(f"{API}/key-results/{b.pk}/grade/", {"grade": 0.9}, format="json")
    assert r.status_code == 200 and (r.json()["grade"], r.json()["grade_note"]) == (0.9, "")

    admin = web(world_a.admin)
    assert admin.post("/o/alpha/settings/", SETTINGS | {"grade_note_required": "on"}).status_code == 302
    member = web(world_a.member)
    r = member.post(f"/o/alpha/key-results/{a.pk}/grade/", {"grade": "0.2", "grade_note": ""}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400 and "differs from the suggested 0.7: say why in a note" in r.content.decode()
    r = api(world_a.member).post(f"{API}/key-results/{b.pk}/grade/", {"grade": 0.1}, format="json")
    assert r.status_code == 400 and "say why in a note" in r.json()["errors"]["grade_note"][0]
    assert [kr.grade for kr in krs(objective)] == [1.0, 0.9]  # nothing refused was saved


# --- quarter statistics in the API ---------------------------------------------------------


def test_api_statistics_give_the_report_pages_figures(
    world_a, world_b, cycle, objective, api, web, django_assert_max_num_queries
):
    prev = make_cycle(world_a.org, name="Q3 2026", start=date(2026, 7, 1), days=92)
    stretch = make_objective(world_a.org, prev, title="Stretch", owner_type="person", user=world_a.member)
    Objective.objects.filter(pk=stretch.pk).update(commitment="aspirational")
    kr = make_kr(stretch, title="Signups", owner=world_a.member, start=0, target=10)
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=8, confidence=7)
    never = make_kr(stretch, title="Referrals", owner=world_a.member, start=0, target=10)
    ritual_services.key_result_grade(
        key_result=never, actor=world_a.admin, grade=0.6, note="Half the referrals came late"
    )
    ritual_services.cycle_close(cycle=prev, actor=world_a.admin, force=True)  # (0.8 + 0.6) / 2 = 0.7: achieved
    for i in range(6):  # enough rows to show a query per objective
        make_objective(world_a.org, cycle, title=f"More {i}", krs=2, kr_owner=world_a.member)
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)

    client = api(world_a.viewer)
    with django_assert_max_num_queries(14):
        r = client.get(f"{API}/cycles/{cycle.pk}/statistics/")
    assert r.status_code == 200
    body = r.json()
    assert body["cycle"] == {
        "id": cycle.pk,
        "name": "Q4 2026",
        "kind": "quarter",
        "status": "closed",
        "start_date": "2026-10-01",
        "end_date": "2026-12-30",
    }
    # "Delight customers" grades 0.55, the six others 0.0 (never checked in): none achieved.
    assert (body["objectives"], body["achieved"], body["not_achieved"]) == (7, 0, 7)
    assert body["achieved_share"] == 0.0 and body["mean_grade"] == round(0.55 / 7, 2)
    assert body["by_type"] == [
        {"label": "Committed", "count": 7, "mean": 0.08, "bands": {"low": 6, "mid": 1, "high": 0}, "type": "committed"}
    ]
    by_team = {g["label"]: g for g in body["by_team"]}
    assert by_team["Company"]["count"] == 6 and by_team[world_a.sub_team.name]["mean"] == 0.55
    assert len(body["never_checked_in"]) == 12 and {"id", "title", "objective", "owner"} == set(
        body["never_checked_in"][0]
    )
    previous = body["previous"]
    assert previous["cycle"]["name"] == "Q3 2026" and "previous" not in previous
    assert (previous["objectives"], previous["achieved"], previous["mean_grade"]) == (1, 1, 0.7)
    assert previous["by_type"][0]["type"] == "aspirational" and previous["by_type"][0]["bands"]["high"] == 1
    assert previous["never_checked_in"] == [
        {"id": never.pk, "title": "Referrals", "objective": stretch.pk, "owner": world_a.member.pk}
    ]
    assert client.get(f"{API}/cycles/{prev.pk}/statistics/").json()["previous"] is None

    # The report page shows the same figures.
    page = web(world_a.viewer).get(f"/o/alpha/cycles/{cycle.pk}/report/").content.decode()
    assert "0 / 7" in page and f"{body['mean_grade']:.2f}" in page

    # Another organisation's cycle is not found, through either slug.
    foreign = make_cycle(world_b.org, name="Q4 2026")
    assert client.get(f"{API}/cycles/{foreign.pk}/statistics/").status_code == 404
    assert client.get(f"/api/v1/orgs/beta/cycles/{foreign.pk}/statistics/").status_code == 404
    assert client.get(f"{API}/cycles/nope/statistics/").status_code == 404
