"""Approvals through the pages and the API (DESIGN §3, §6): the one-click review section,
the cycle's counts, ``approval_status`` and the ``submit/``, ``approve/`` and
``request-changes/`` actions, and each bad input a 400 with a message and nothing changed."""

from __future__ import annotations

import pytest

from objectives import services
from objectives.models import ApprovalStatus, Objective, ObjectiveReview
from tests.objectives.okr_factories import make_cycle, make_objective

pytestmark = pytest.mark.django_db
API = "/api/v1/orgs/alpha/"


@pytest.fixture
def cycle(world_a):
    return make_cycle(world_a.org, status="planning", approvals_required=True)


@pytest.fixture
def mine(world_a, cycle) -> Objective:
    return make_objective(world_a.org, cycle, title="Win the north", owner_type="person", user=world_a.member, krs=2)


def _state(objective: Objective) -> tuple[str, str, int]:
    objective.refresh_from_db()
    return objective.approval_status, objective.status, ObjectiveReview.objects.filter(objective=objective).count()


# --- pages ------------------------------------------------------------------------------------


def test_owner_submits_and_manager_approves_with_one_click_each(world_a, mine, web):
    client = web(world_a.member)
    page = client.get(f"/o/alpha/okrs/{mine.pk}/").content.decode()
    assert "Submit for review" in page and "Approve" not in page
    r = client.post(f"/o/alpha/okrs/{mine.pk}/submit/", {"comment": "Ready"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'id="approval"' in r.content.decode() and "<html" not in r.content.decode()
    assert _state(mine)[0] == ApprovalStatus.IN_REVIEW
    client = web(world_a.manager)
    page = client.get(f"/o/alpha/okrs/{mine.pk}/").content.decode()
    assert "Approve" in page and "Request changes" in page and "/100" in page
    r = client.post(f"/o/alpha/okrs/{mine.pk}/approve/", {"comment": ""})
    assert r.status_code == 302
    assert _state(mine)[0] == ApprovalStatus.APPROVED


def test_pages_refuse_bad_input_with_400_and_change_nothing(world_a, mine, web):
    member = web(world_a.member)
    r = member.post(f"/o/alpha/okrs/{mine.pk}/status/", {"status": "active"})
    assert r.status_code == 400 and "approved" in r.content.decode()
    member.post(f"/o/alpha/okrs/{mine.pk}/submit/", {})
    before = _state(mine)
    r = member.post(f"/o/alpha/okrs/{mine.pk}/status/", {"status": "active"})  # in review
    assert r.status_code == 400 and _state(mine) == before
    r = member.post(f"/o/alpha/okrs/{mine.pk}/approve/", {})  # their own
    assert r.status_code == 400 and "your own objective" in r.content.decode()
    r = web(world_a.manager).post(f"/o/alpha/okrs/{mine.pk}/request-changes/", {"comment": " "})
    assert r.status_code == 400 and "Say what should change" in r.content.decode()
    assert _state(mine) == before


def test_a_target_edit_on_the_page_asks_for_a_reason(world_a, mine, web):
    services.objective_submit(objective=mine, actor=world_a.member)
    services.objective_approve(objective=mine, actor=world_a.manager)
    kr = mine.key_results.first()
    client = web(world_a.member)
    page = client.get(f"/o/alpha/key-results/{kr.pk}/edit/").content.decode()
    assert 'name="reason"' in page
    body = {"title": kr.title, "owner": world_a.member.pk, "kind": "number", "unit": "", "start_value": 0}
    body.update(target_value=40, weight=1, kpi="", version=kr.version)
    r = client.post(f"/o/alpha/key-results/{kr.pk}/edit/", body)
    assert r.status_code == 200 and "give a reason" in r.content.decode()
    kr.refresh_from_db()
    assert kr.target_value == 10 and _state(mine)[0] == ApprovalStatus.APPROVED
    r = client.post(f"/o/alpha/key-results/{kr.pk}/edit/", {**body, "reason": "Bigger market"})
    assert r.status_code == 302
    assert _state(mine)[0] == ApprovalStatus.IN_REVIEW


def test_the_cycle_page_counts_objectives_by_review_state(world_a, cycle, mine, web):
    make_objective(world_a.org, cycle, title="Other", owner_type="company", krs=2)
    services.objective_submit(objective=mine, actor=world_a.member)
    page = web(world_a.viewer).get(f"/o/alpha/okrs/?cycle={cycle.pk}").content.decode()
    assert "1 draft" in page and "1 in review" in page and "0 approved" in page


def test_without_approvals_the_pages_show_no_review(world_a, web):
    plain = make_objective(world_a.org, make_cycle(world_a.org, name="Plain"), owner_type="company", krs=2)
    page = web(world_a.admin).get(f"/o/alpha/okrs/{plain.pk}/").content.decode()
    assert 'id="approval"' not in page
    assert "in review" not in web(world_a.admin).get("/o/alpha/okrs/").content.decode()


# --- API --------------------------------------------------------------------------------------


def test_api_submit_approve_and_read_the_status(world_a, mine, api):
    r = api(world_a.member).post(f"{API}objectives/{mine.pk}/submit/", {"comment": "Ready"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["approval_status"] == "in_review"
    r = api(world_a.manager).post(f"{API}objectives/{mine.pk}/approve/", {}, format="json")
    assert r.status_code == 200 and r.json()["approval_status"] == "approved"
    r = api(world_a.member).patch(f"{API}objectives/{mine.pk}/", {"approval_status": "draft"}, format="json")
    assert r.status_code == 200 and r.json()["approval_status"] == "approved"  # read-only
    r = api(world_a.member).patch(f"{API}objectives/{mine.pk}/", {"status": "active"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "active"


def test_api_request_changes_needs_a_comment(world_a, mine, api):
    services.objective_submit(objective=mine, actor=world_a.member)
    before = _state(mine)
    r = api(world_a.manager).post(f"{API}objectives/{mine.pk}/request-changes/", {}, format="json")
    assert r.status_code == 400 and r.json()["message"]
    assert _state(mine) == before
    r = api(world_a.manager).post(f"{API}objectives/{mine.pk}/request-changes/", {"comment": "Why"}, format="json")
    assert r.status_code == 200 and r.json()["approval_status"] == "changes_requested"


def test_api_bad_inputs_are_400_with_a_message_and_change_nothing(world_a, mine, api):
    member, manager = api(world_a.member), api(world_a.manager)
    cases = [
        (manager, "post", f"{API}objectives/{mine.pk}/approve/", {}),  # not in review
        (member, "patch", f"{API}objectives/{mine.pk}/", {"status": "active"}),  # not approved
    ]
    for client, method, url, body in cases:
        before = _state(mine)
        r = getattr(client, method)(url, body, format="json")
        assert r.status_code == 400 and r.json()["message"], (url, r.content)
        assert _state(mine) == before
    services.objective_submit(objective=mine, actor=world_a.member)
    more = [
        (member, "post", f"{API}objectives/{mine.pk}/approve/", {}),  # their own
        (member, "post", f"{API}objectives/{mine.pk}/submit/", {}),  # already in review
        (member, "patch", f"{API}objectives/{mine.pk}/", {"status": "active"}),  # in review
    ]
    for client, method, url, body in more:
        before = _state(mine)
        r = getattr(client, method)(url, body, format="json")
        assert r.status_code == 400 and r.json()["message"], (url, r.content)
        assert _state(mine) == before


def test_api_material_edit_needs_a_reason(world_a, mine, api):
    services.objective_submit(objective=mine, actor=world_a.member)
    services.objective_approve(objective=mine, actor=world_a.manager)
    kr = mine.key_results.first()
    member = api(world_a.member)
    r = member.patch(f"{API}key-results/{kr.pk}/", {"target_value": 99}, format="json")
    assert r.status_code == 400 and "reason" in r.json()["errors"]
    kr.refresh_from_db()
    assert kr.target_value == 10 and _state(mine)[0] == ApprovalStatus.APPROVED
    r = member.patch(f"{API}key-results/{kr.pk}/", {"title": "Clearer words"}, format="json")
    assert r.status_code == 200 and _state(mine)[0] == ApprovalStatus.APPROVED
    r = member.delete(f"{API}key-results/{kr.pk}/")
    assert r.status_code == 400 and mine.key_results.count() == 2
    r = member.patch(f"{API}key-results/{kr.pk}/", {"target_value": 99, "reason": "New market"}, format="json")
    assert r.status_code == 200 and _state(mine)[0] == ApprovalStatus.IN_REVIEW


def test_api_reviewer_rule(world_a, cycle, mine, api):
    services.objective_submit(objective=mine, actor=world_a.member)
    company = make_objective(world_a.org, cycle, title="Grow", owner_type="company", krs=2)
    services.objective_submit(objective=company, actor=world_a.admin)
    assert api(world_a.viewer).post(f"{API}objectives/{mine.pk}/approve/", {}, format="json").status_code == 403
    assert api(world_a.manager).post(f"{API}objectives/{company.pk}/approve/", {}, format="json").status_code == 403
    assert api(world_a.admin).post(f"{API}objectives/{company.pk}/approve/", {}, format="json").status_code == 200


def test_cycle_api_sets_approvals_for_admins(world_a, api):
    r = api(world_a.admin).post(
        f"{API}cycles/",
        {"name": "Q1 2027", "start_date": "2027-01-01", "end_date": "2027-03-31", "approvals_required": True},
        format="json",
    )
    assert r.status_code == 201 and r.json()["approvals_required"] is True
    r = api(world_a.admin).patch(f"{API}cycles/{r.json()['id']}/", {"approvals_required": False}, format="json")
    assert r.status_code == 200 and r.json()["approvals_required"] is False


def test_the_review_pages_speak_vietnamese(world_a, cycle, web):
    from tests.core.english import english_words_in, visible_text

    world_a.org.language = "vi"
    world_a.org.save(update_fields=["language"])
    for user, name in ((world_a.member, "Lan"), (world_a.manager, "Minh")):
        user.language, user.name = "", name
        user.save(update_fields=["language", "name"])
    mine = make_objective(world_a.org, cycle, title="Chinh phục miền Bắc", owner_type="person", user=world_a.member)
    for i in (1, 2):
        services.key_result_create(objective=mine, actor=world_a.member, title=f"Mở đại lý {i}", target_value=5)
    services.objective_submit(objective=mine, actor=world_a.member, comment="Sẵn sàng")
    client = web(world_a.manager)
    for url in (f"/o/alpha/okrs/{mine.pk}/", f"/o/alpha/okrs/?cycle={mine.cycle_id}", "/o/alpha/todo/"):
        page = client.get(url).content.decode()
        assert "Duyệt" in page, url
        assert english_words_in(visible_text(page)) == [], url
    r = client.post(f"/o/alpha/okrs/{mine.pk}/request-changes/", {"comment": ""})
    assert r.status_code == 400 and "Hãy cho biết cần thay đổi gì." in r.content.decode()


def test_admins_turn_approvals_on_and_off_on_the_cycle_pages(world_a, web):
    client = web(world_a.admin)
    body = {"name": "Q1 2027", "kind": "quarter", "start_date": "2027-01-01", "end_date": "2027-03-31"}
    assert client.post("/o/alpha/cycles/", {**body, "approvals_required": "on"}).status_code == 302
    from cycles.models import Cycle

    cycle = Cycle.objects.get(organization=world_a.org, name="Q1 2027")
    assert cycle.approvals_required is True
    assert 'name="approvals_required"' in client.get(f"/o/alpha/cycles/{cycle.pk}/edit/").content.decode()
    assert client.post(f"/o/alpha/cycles/{cycle.pk}/edit/", body).status_code == 302
    cycle.refresh_from_db()
    assert cycle.approvals_required is False


def test_api_creating_an_active_objective_in_a_reviewed_cycle_is_refused(world_a, cycle, api):
    body = {"cycle": cycle.pk, "title": "Too soon", "owner_type": "company", "status": "active"}
    r = api(world_a.admin).post(f"{API}objectives/", body, format="json")
    assert r.status_code == 400 and "approved" in str(r.json())  # the approval gate, before the key-result count
    assert not Objective.objects.filter(title="Too soon").exists()
