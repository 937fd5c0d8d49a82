"""The coach on real data: scores per objective, cycle and KPI library, dismissals with a
reason, the API, the pages and the live advice while editing."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from activity.models import ActivityEntry
from kpis.models import Kpi
from objectives import services
from objectives.models import CoachDismissal, Objective
from rituals import quality
from rituals import services as ritual_services
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

API = "/api/v1/orgs/alpha"


@pytest.fixture
def cycle(world_a):
    return make_cycle(world_a.org)


@pytest.fixture
def good(world_a, cycle):
    o = make_objective(world_a.org, cycle, title="Delight our customers")
    make_kr(o, title="Raise NPS from 30 to 45", owner=world_a.member, start=30, target=45)
    make_kr(o, title="Cut first reply time", owner=world_a.manager, start=9, target=2)
    return o


@pytest.fixture
def poor(world_a, cycle, good):
    o = make_objective(world_a.org, cycle, title="Grow sales by 20%", owner_type="team", team=world_a.team)
    make_kr(o, title="Launch the new shop", owner=world_a.admin, start=0, target=1)
    return o


def kr_unit(objective, unit="leads"):
    objective.key_results.update(unit=unit)


def test_objective_score_and_findings(world_a, good, poor):
    kr_unit(good)
    kr_unit(poor)
    report = quality.objective_quality(org=world_a.org, objective=good)
    assert report.score == 100 and report.findings == []
    report = quality.objective_quality(org=world_a.org, objective=poor)
    assert {f.code for f in report.findings} == {
        "objective_title_has_numbers",
        "objective_too_few_key_results",
        "objective_not_aligned",
        "key_result_is_activity",
    }
    assert report.score == 100 - 10 - 25 - 5 - 10


def test_cycle_score_is_the_mean_minus_cycle_findings(world_a, cycle, good, poor):
    kr_unit(good)
    kr_unit(poor)
    report = quality.cycle_quality(org=world_a.org, cycle=cycle)
    assert report.scores == {good.pk: 100, poor.pk: 50}
    assert report.score == 75  # 3 key results only: too few to judge their spread


def test_dismissing_a_finding_takes_it_out_of_the_score_and_is_logged(world_a, poor):
    kr_unit(poor)
    with pytest.raises(ValidationError, match="Say why"):
        ritual_services.coach_dismiss(
            org=world_a.org,
            actor=world_a.admin,
            code="objective_not_aligned",
            object_type="objective",
            object_id=poor.pk,
            reason=" ",
        )
    ritual_services.coach_dismiss(
        org=world_a.org,
        actor=world_a.admin,
        code="objective_not_aligned",
        object_type="objective",
        object_id=poor.pk,
        reason="A team bet of its own",
    )
    report = quality.objective_quality(org=world_a.org, objective=poor)
    assert report.score == 55
    (row,) = [r for r in report.as_list() if r["code"] == "objective_not_aligned"]
    assert row["dismissed"] is True and row["dismissal_reason"] == "A team bet of its own"
    entry = ActivityEntry.objects.get(verb="coach.dismissed")
    assert entry.after["reason"] == "A team bet of its own" and entry.actor == world_a.admin


def test_undoing_a_dismissal_puts_the_finding_back_in_the_score_and_is_logged(world_a, poor):
    kr_unit(poor)
    key = {"code": "objective_not_aligned", "object_type": "objective", "object_id": poor.pk}
    with pytest.raises(ValidationError, match="not dismissed"):
        ritual_services.coach_undismiss(org=world_a.org, actor=world_a.admin, **key)
    ritual_services.coach_dismiss(org=world_a.org, actor=world_a.admin, reason="A team bet of its own", **key)
    assert quality.objective_quality(org=world_a.org, objective=poor).score == 55
    reason = ritual_services.coach_undismiss(org=world_a.org, actor=world_a.manager, **key)
    assert reason == "A team bet of its own"
    report = quality.objective_quality(org=world_a.org, objective=poor)
    assert report.score == 50 and not report.dismissed
    entry = ActivityEntry.objects.get(verb="coach.undismissed")
    assert entry.actor == world_a.manager and entry.before["reason"] == "A team bet of its own"
    assert entry.before["object_id"] == str(poor.pk)


def test_kpi_library_rules_read_the_measurements(world_a):
    kpi = Kpi.objects.create(
        organization=world_a.org,
        name="Qualified leads",
        owner_type="team",
        owner_team=world_a.team,
        perspective="customer",
        target=100,
        frequency="monthly",
        tracking_since=date(2026, 1, 1),
    )
    report = quality.kpi_library_quality(org=world_a.org)
    codes = {f.code for f in report.findings}
    assert {
        "kpi_not_specific",
        "kpi_not_measurable",
        "kpi_not_achievable",
        "kpi_not_relevant",
        "kpi_not_measured",
    } == codes
    Kpi.objects.filter(pk=kpi.pk).update(
        unit="leads", how_measured="CRM", description="Sales plans from it", amber_threshold=80
    )
    today = world_a.org.today()
    last_month = date(today.year if today.month > 1 else today.year - 1, today.month - 1 or 12, 1)
    kpi.measurements.create(organization=world_a.org, period=last_month, value=90)
    report = quality.kpi_library_quality(org=world_a.org)
    assert report.findings == [] and report.score == 100


def test_periods_without_measurement():
    f = quality.periods_without_measurement
    kw = {"frequency": "monthly", "tracking_since": date(2026, 1, 15), "fiscal_year_start_month": 1}
    assert f(last_period=date(2026, 10, 1), today=date(2026, 11, 20), **kw) == 0
    assert f(last_period=date(2026, 9, 1), today=date(2026, 11, 20), **kw) == 1
    assert f(last_period=date(2026, 8, 1), today=date(2026, 11, 20), **kw) == 2
    assert f(last_period=None, today=date(2026, 3, 2), **kw) == 2  # January and February


def test_quality_reads_a_big_cycle_in_a_fixed_number_of_queries(world_a, cycle, django_assert_max_num_queries):
    for i in range(25):
        make_objective(world_a.org, cycle, title=f"Objective {i}", krs=3, kr_owner=world_a.member)
    with django_assert_max_num_queries(3):
        report = quality.cycle_quality(org=world_a.org, cycle=cycle)
    assert len(report.scores) == 25


# --- API -----------------------------------------------------------------------------------


def test_api_objective_quality(world_a, world_b, poor, api):
    r = api(world_a.viewer).get(f"{API}/objectives/{poor.pk}/quality/")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"score", "findings"} and 0 <= body["score"] <= 100
    finding = next(f for f in body["findings"] if f["code"] == "key_result_is_activity")
    assert set(finding) >= {"code", "severity", "message", "hint", "object"}
    assert finding["severity"] == "warning" and finding["object"]["type"] == "key_result"
    assert "initiative" in finding["hint"]
    assert api(world_b.admin).get(f"{API}/objectives/{poor.pk}/quality/").status_code == 404
    r = api(world_a.viewer).get(f"{API}/objectives/{poor.pk}/quality/", HTTP_ACCEPT_LANGUAGE="vi")
    assert r.status_code == 200


def test_api_cycle_quality_and_kpi_library(world_a, world_b, cycle, good, poor, api):
    client = api(world_a.member)
    r = client.get(f"{API}/quality/?cycle={cycle.pk}")
    assert r.status_code == 200 and isinstance(r.json()["score"], int)
    assert {f["object"]["id"] for f in r.json()["findings"]} >= {str(poor.pk)}
    other = make_cycle(world_b.org, name="B")
    r = client.get(f"{API}/quality/?cycle={other.pk}")
    assert r.status_code == 400 and r.json()["message"] == "cycle: Unknown cycle."
    assert client.get(f"{API}/quality/?cycle=abc").status_code == 400
    r = client.get(f"{API}/quality/")
    assert r.status_code == 200 and r.json() == {"score": 100, "findings": []}


def test_api_dismissal(world_a, poor, api):
    url = f"{API}/quality/dismissals/"
    body = {"code": "objective_not_aligned", "object_type": "objective", "object_id": str(poor.pk), "reason": "Own bet"}
    assert api(world_a.viewer).post(url, body, format="json").status_code == 403
    r = api(world_a.manager).post(url, body, format="json")
    assert r.status_code == 201 and r.json()["reason"] == "Own bet"
    r = api(world_a.manager).post(url, {**body, "code": "nope"}, format="json")
    assert r.status_code == 400
    findings = api(world_a.viewer).get(f"{API}/objectives/{poor.pk}/quality/").json()["findings"]
    assert next(f for f in findings if f["code"] == "objective_not_aligned")["dismissed"] is True
    undo = {k: body[k] for k in ("code", "object_type", "object_id")}
    assert api(world_a.viewer).post(f"{url}undo/", undo, format="json").status_code == 403
    # A member of the team may not edit the team's objective: nor dismiss its advice, nor undo that.
    assert api(world_a.member).post(f"{url}undo/", undo, format="json").status_code == 403
    assert api(world_a.member).post(url, body, format="json").status_code == 403
    r = api(world_a.manager).post(f"{url}undo/", undo, format="json")
    assert r.status_code == 200 and r.json() == {**undo, "reason": "Own bet"}
    findings = api(world_a.viewer).get(f"{API}/objectives/{poor.pk}/quality/").json()["findings"]
    assert next(f for f in findings if f["code"] == "objective_not_aligned")["dismissed"] is False
    r = api(world_a.manager).post(f"{url}undo/", undo, format="json")
    assert r.status_code == 400 and "not dismissed" in r.json()["errors"]["code"][0]


# --- pages -----------------------------------------------------------------------------------


def test_quality_page_and_objective_coach_panel(world_a, cycle, poor, web):
    client = web(world_a.member)
    page = client.get(f"/o/alpha/quality/?cycle={cycle.pk}").content.decode()
    assert "OKR quality" in page and "Grow sales by 20%" in page and "KPI library" in page
    assert "The key result reads like an activity, not a result." in page
    panel = client.get(f"/o/alpha/okrs/{poor.pk}/coach/").content.decode()
    assert "OKR coach" in panel and "/100" in panel
    assert "Dismiss" not in panel  # the team's objective is its manager's to edit, not the member's
    detail = client.get(f"/o/alpha/okrs/{poor.pk}/").content.decode()
    assert f"/o/alpha/okrs/{poor.pk}/coach/" in detail  # loaded by htmx after the page
    client = web(world_a.manager)
    assert "Dismiss" in client.get(f"/o/alpha/okrs/{poor.pk}/coach/").content.decode()
    r = client.post(
        "/o/alpha/quality/dismiss/",
        {
            "code": "objective_not_aligned",
            "object_type": "objective",
            "object_id": poor.pk,
            "reason": "",
            "next": f"/o/alpha/okrs/{poor.pk}/",
        },
        follow=True,
    )
    assert "Say why this advice does not apply." in r.content.decode()


def test_a_dismissal_is_undone_from_the_panel_where_it_was_dismissed(world_a, world_b, poor, web):
    client = web(world_a.manager)
    back = f"/o/alpha/okrs/{poor.pk}/"
    key = {"code": "objective_not_aligned", "object_type": "objective", "object_id": poor.pk}
    client.post("/o/alpha/quality/dismiss/", {**key, "reason": "Own bet", "next": back})
    panel = client.get(f"/o/alpha/okrs/{poor.pk}/coach/?next={back}").content.decode()
    assert "Dismissed: Own bet" in panel and "Undo the dismissal" in panel
    assert 'action="/o/alpha/quality/undismiss/"' in panel
    r = client.post("/o/alpha/quality/undismiss/", {**key, "next": back})
    assert r.status_code == 302 and r["Location"] == back
    panel = client.get(f"/o/alpha/okrs/{poor.pk}/coach/").content.decode()
    assert "Dismissed: Own bet" not in panel and "Undo the dismissal" not in panel
    r = client.post("/o/alpha/quality/undismiss/", {**key, "next": "https://evil.example/"}, follow=True)
    assert r.redirect_chain[0][0] == "/o/alpha/quality/"  # not off the site
    assert "This advice is not dismissed" in r.content.decode()
    assert ActivityEntry.objects.filter(verb="coach.undismissed").count() == 1
    assert web(world_a.viewer).post("/o/alpha/quality/undismiss/", key).status_code == 403
    # Another organisation's dismissal of the same key cannot be reached from here.
    ritual_services.coach_dismiss(org=world_b.org, actor=world_b.admin, reason="Theirs", **key)
    web(world_a.admin).post("/o/alpha/quality/undismiss/", key)
    assert CoachDismissal.objects.filter(organization=world_b.org, reason="Theirs").exists()


def test_live_advice_while_typing(world_a, web):
    client = web(world_a.member)
    r = client.post(
        "/o/alpha/quality/check/", {"coach": "objective", "title": "Reach 1 million VND", "owner_type": "company"}
    )
    assert "numbers or amounts" in r.content.decode()
    r = client.post(
        "/o/alpha/quality/check/", {"coach": "objective", "title": "Delight customers", "owner_type": "company"}
    )
    assert "finding" not in r.content.decode()
    r = client.post(
        "/o/alpha/quality/check/",
        {"coach": "key_result", "title": "Triển khai CRM", "kind": "number", "start_value": "5", "target_value": "5"},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    body = r.content.decode()
    assert "activity" in body or "hoạt động" in body
    assert "target equals its baseline" in body or "bằng giá trị xuất phát" in body
    r = client.post("/o/alpha/quality/check/", {"coach": "kpi", "name": "Leads", "frequency": "monthly"})
    assert "S — specific" in r.content.decode()


def test_templates_and_pages_show_commitment(world_a, cycle, web, api):
    client = web(world_a.manager)
    r = client.post(
        "/o/alpha/okrs/new/",
        {
            "title": "Open a second market",
            "cycle": cycle.pk,
            "owner_type": "team",
            "owner_team": world_a.team.pk,
            "weight": 1,
            "commitment": "aspirational",
        },
    )
    assert r.status_code == 302
    o = Objective.objects.get(title="Open a second market")
    assert o.commitment == "aspirational"
    assert "Aspirational" in client.get(f"/o/alpha/okrs/{o.pk}/").content.decode()
    r = api(world_a.manager).patch(f"{API}/objectives/{o.pk}/", {"commitment": "bold"}, format="json")
    assert r.status_code == 400
    r = api(world_a.manager).patch(f"{API}/objectives/{o.pk}/", {"commitment": "committed"}, format="json")
    assert r.status_code == 200 and r.json()["commitment"] == "committed"


def test_an_aspirational_objectives_health_reads_point_seven_as_the_bar(world_a, cycle):
    o = make_objective(world_a.org, cycle, title="Stretch", krs=2)
    services.objective_set_status(objective=o, actor=world_a.admin, status="active")
    Objective.objects.filter(pk=o.pk).update(progress=0.6)
    o.refresh_from_db()
    end = cycle.end_date
    assert o.health(end) == "at_risk"  # committed: 0.6 < 0.8 × 1.0
    o.commitment = "aspirational"
    assert o.health(end) == "on_track"  # aspirational: 0.6 ≥ 0.8 × 0.7


@pytest.mark.parametrize(
    ("language", "target", "threshold"),
    [("en", "1,200,000", "1,000,000"), ("vi", "1.000.000", "800.000"), ("en", "3 000 000 đ", "25%")],
)
def test_live_advice_reads_numbers_as_the_forms_do(world_a, web, language, target, threshold):
    """A grouped amount in the person's convention is a target, not "no target"."""
    world_a.member.language = language
    world_a.member.save(update_fields=["language"])
    client = web(world_a.member)
    r = client.post(
        "/o/alpha/quality/check/",
        {
            "coach": "key_result",
            "title": "Raise monthly revenue",
            "kind": "currency",
            "unit": "VND",
            "start_value": "0",
            "target_value": target,
        },
    )
    body = r.content.decode()
    assert r.status_code == 200
    assert "has no target" not in body and "chưa có chỉ tiêu" not in body
    r = client.post(
        "/o/alpha/quality/check/",
        {
            "coach": "kpi",
            "name": "Monthly revenue",
            "unit": "VND",
            "how_measured": "Sum of paid invoices in the accounting system",
            "frequency": "monthly",
            "direction": "higher_is_better",
            "amber_threshold": threshold,
        },
    )
    body = r.content.decode()
    assert "no amber threshold" not in body and "chưa có ngưỡng vàng" not in body
