"""Moving an objective to another cycle (DESIGN §3): an approval is given in a cycle, so an
objective approved (or waiting for review) moved into a cycle that asks for approval is a
draft there, to be reviewed again — and an active one goes back to draft, since only an
approved objective may be active there. Into a cycle that asks for none, nothing changes.
Through the service, the edit page, the API and planning a backlog objective."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from activity.models import ActivityEntry
from activity.sentences import sentence_text
from objectives import services
from objectives.approvals import reviewable_q, waiting_for_review
from objectives.models import ApprovalStatus, Objective, ObjectiveStatus
from orgs.models import Membership
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

pytestmark = pytest.mark.django_db
API = "/api/v1/orgs/alpha/objectives/"
VERB = "objective.approval_restarted"


def _approving(org, name: str, start: date, required: bool = True):
    return make_cycle(org, name=name, start=start, status="planning", approvals_required=required)


@pytest.fixture
def cycles(world_a):
    """This quarter and the next ask for approval; the one after does not."""
    org = world_a.org
    return (
        _approving(org, "Q4 2026", date(2026, 10, 1)),
        _approving(org, "Q1 2027", date(2027, 1, 1)),
        _approving(org, "Q2 2027", date(2027, 4, 1), required=False),
    )


def _objective(world, cycle, *, approved: bool = True, active: bool = False) -> Objective:
    o = make_objective(world.org, cycle, title="Win the north", owner_type="person", user=world.member, krs=2)
    services.objective_submit(objective=o, actor=world.member)
    if approved:
        services.objective_approve(objective=o, actor=world.manager)
    if active:
        services.objective_set_status(objective=o, actor=world.member, status="active")
    o.refresh_from_db()
    return o


def _state(o: Objective) -> tuple[int | None, str, str]:
    o.refresh_from_db()
    return o.cycle_id, o.approval_status, o.status


# --- the service ------------------------------------------------------------------------------


def test_an_approved_objective_moved_into_a_cycle_asking_for_approval_is_reviewed_again(world_a, cycles):
    here, there, _ = cycles
    o = _objective(world_a, here)
    services.objective_update(objective=o, actor=world_a.member, cycle=there)
    assert _state(o) == (there.pk, ApprovalStatus.DRAFT, ObjectiveStatus.DRAFT)
    with pytest.raises(ValidationError, match="once it is approved"):
        services.objective_set_status(objective=o, actor=world_a.member, status="active")
    entry = ActivityEntry.objects.get(verb=VERB)
    assert entry.actor == world_a.member and entry.before["approval_status"] == "approved"
    assert entry.after == {
        "approval_status": "draft",
        "status": "draft",
        "cycle": there.pk,
        "from_cycle": here.pk,
        "deactivated": False,
    }
    with translation.override("en"):
        assert "its approval starts again from draft" in sentence_text(entry)
    with translation.override("vi"):
        assert "việc phê duyệt bắt đầu lại từ bản nháp" in sentence_text(entry)
    # Reviewed again in its new cycle, it may then be activated.
    services.objective_submit(objective=o, actor=world_a.member)
    services.objective_approve(objective=o, actor=world_a.manager)
    services.objective_set_status(objective=o, actor=world_a.member, status="active")
    assert _state(o) == (there.pk, ApprovalStatus.APPROVED, ObjectiveStatus.ACTIVE)


def test_an_active_objective_moved_goes_back_to_draft_keeping_its_first_activation(world_a, cycles):
    here, there, _ = cycles
    o = _objective(world_a, here, active=True)
    activated_at = o.activated_at
    services.objective_update(objective=o, actor=world_a.member, cycle=there)
    assert _state(o) == (there.pk, ApprovalStatus.DRAFT, ObjectiveStatus.DRAFT)
    assert o.activated_at == activated_at
    entry = ActivityEntry.objects.get(verb=VERB)
    assert (entry.before["status"], entry.after["status"], entry.after["deactivated"]) == ("active", "draft", True)
    with translation.override("en"):
        assert "it is a draft again until it is approved there" in sentence_text(entry)
    with translation.override("vi"):
        assert "mục tiêu trở lại bản nháp" in sentence_text(entry)


def test_an_objective_in_review_moved_leaves_its_reviewers_queue(world_a, cycles):
    here, there, _ = cycles
    o = _objective(world_a, here, approved=False)
    manager = Membership.objects.get(organization=world_a.org, user=world_a.manager)
    queue = Objective.objects.filter(waiting_for_review(world_a.org.pk)).filter(reviewable_q(manager))
    assert list(queue) == [o]
    services.objective_update(objective=o, actor=world_a.member, cycle=there)
    assert _state(o) == (there.pk, ApprovalStatus.DRAFT, ObjectiveStatus.DRAFT)
    assert not queue.all().exists()
    with pytest.raises(ValidationError, match="Only an objective waiting for review"):
        services.objective_approve(objective=o, actor=world_a.manager)


def test_a_move_into_a_cycle_asking_for_no_approval_changes_neither_status(world_a, cycles):
    here, _, free = cycles
    o = _objective(world_a, here, active=True)
    services.objective_update(objective=o, actor=world_a.member, cycle=free)
    assert _state(o) == (free.pk, ApprovalStatus.APPROVED, ObjectiveStatus.ACTIVE)
    assert not ActivityEntry.objects.filter(verb=VERB).exists()


def test_an_edit_that_keeps_the_cycle_keeps_the_approval(world_a, cycles):
    here, _, _ = cycles
    o = _objective(world_a, here, active=True)
    services.objective_update(objective=o, actor=world_a.member, title="Win the whole north", cycle=here)
    assert _state(o) == (here.pk, ApprovalStatus.APPROVED, ObjectiveStatus.ACTIVE)
    assert not ActivityEntry.objects.filter(verb=VERB).exists()


def test_a_move_with_a_new_weight_needs_no_reason_since_it_is_reviewed_anyway(world_a, cycles):
    here, there, _ = cycles
    o = _objective(world_a, here)
    services.objective_update(objective=o, actor=world_a.member, cycle=there, weight=3)
    o.refresh_from_db()
    assert (o.approval_status, o.weight) == (ApprovalStatus.DRAFT, 3.0)


# --- the edit page, the API, planning from the backlog ------------------------------------------


def _form(o: Objective, cycle) -> dict:
    return {
        "title": o.title,
        "description": "",
        "cycle": cycle.pk,
        "commitment": o.commitment,
        "owner_type": "person",
        "owner_user": o.owner_user_id,
        "weight": "1",
        "version": o.version,
    }


def test_moving_on_the_edit_page_shows_the_draft_and_the_reason_in_its_history(world_a, cycles, web):
    here, there, _ = cycles
    o = _objective(world_a, here, active=True)
    client = web(world_a.member)
    r = client.post(f"/o/alpha/okrs/{o.pk}/edit/", _form(o, there))
    assert r.status_code == 302, r.context["form"].errors
    assert _state(o) == (there.pk, ApprovalStatus.DRAFT, ObjectiveStatus.DRAFT)
    page = client.get(f"/o/alpha/okrs/{o.pk}/").content.decode()
    assert "Submit for review" in page
    assert "into a cycle that asks for approval: it is a draft again until it is approved there" in page
    r = client.post(f"/o/alpha/okrs/{o.pk}/status/", {"status": "active"})
    assert r.status_code == 400 and "once it is approved" in r.content.decode()


def test_moving_on_the_edit_page_into_a_cycle_without_approval_keeps_it(world_a, cycles, web):
    here, _, free = cycles
    o = _objective(world_a, here, active=True)
    r = web(world_a.member).post(f"/o/alpha/okrs/{o.pk}/edit/", _form(o, free))
    assert r.status_code == 302, r.context["form"].errors
    assert _state(o) == (free.pk, ApprovalStatus.APPROVED, ObjectiveStatus.ACTIVE)


def test_moving_through_the_api_answers_the_draft_and_cannot_activate_in_the_same_call(world_a, cycles, api):
    here, there, free = cycles
    o = _objective(world_a, here)
    client = api(world_a.member)
    r = client.patch(f"{API}{o.pk}/", {"cycle": there.pk, "status": "active"}, format="json")
    assert r.status_code == 400 and "once it is approved" in r.json()["message"]
    assert _state(o) == (here.pk, ApprovalStatus.APPROVED, ObjectiveStatus.DRAFT)  # nothing written
    r = client.patch(f"{API}{o.pk}/", {"cycle": there.pk}, format="json")
    assert r.status_code == 200
    assert (r.json()["cycle"], r.json()["approval_status"], r.json()["status"]) == (there.pk, "draft", "draft")
    o2 = _objective(world_a, here, active=True)
    r = client.patch(f"{API}{o2.pk}/", {"cycle": free.pk}, format="json")
    assert r.status_code == 200 and (r.json()["approval_status"], r.json()["status"]) == ("approved", "active")


def test_planning_a_backlog_objective_into_a_cycle_asking_for_approval_makes_it_a_draft(world_a, cycles, web):
    _, there, _ = cycles
    o = make_objective(world_a.org, None, title="Someday", owner_type="person", user=world_a.member, krs=2)
    # An approval status carried by a backlog row (written by an import, say) is not kept.
    Objective.objects.filter(pk=o.pk).update(approval_status=ApprovalStatus.APPROVED)
    r = web(world_a.member).post(f"/o/alpha/okrs/{o.pk}/plan/", {"cycle": there.pk})
    assert r.status_code == 302
    assert _state(o) == (there.pk, ApprovalStatus.DRAFT, ObjectiveStatus.DRAFT)
    assert ActivityEntry.objects.filter(verb=VERB, after__from_cycle=None).exists()


def test_an_active_contributor_moved_back_to_draft_leaves_what_it_fed_at_once(world_a, cycles):
    """A draft counts nowhere: the objective it contributes to (not its parent) moves with it."""
    here, there, _ = cycles
    brand = make_objective(world_a.org, here, title="Brand", status="active")
    make_kr(brand, owner=world_a.member, target=10)
    o = _objective(world_a, here, active=True)
    services.contribution_create(child=o, actor=None, parent=brand)
    kr = o.key_results.first()
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=kr.target_value, confidence=7)
    assert Objective.objects.get(pk=brand.pk).progress > 0
    services.objective_update(objective=o, actor=world_a.member, cycle=there)
    assert _state(o)[2] == ObjectiveStatus.DRAFT
    assert Objective.objects.get(pk=brand.pk).progress == 0
