"""Approvals through the services (DESIGN §3): submit, approve, request changes, the
reviewer rule, activation only once approved, and material edits sending an approved
objective back to review with a reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from activity.models import ActivityEntry
from objectives import services
from objectives.access import check_objective_review
from objectives.approvals import may_review
from objectives.models import ApprovalStatus, Objective, ObjectiveReview, ObjectiveStatus
from orgs.models import Membership, Role
from tests.factories import MembershipFactory, TeamFactory, UserFactory, place
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

pytestmark = pytest.mark.django_db


def _m(world, user) -> Membership:
    return Membership.objects.get(organization=world.org, user=user)


@pytest.fixture
def cycle(world_a):
    return make_cycle(world_a.org, status="planning", approvals_required=True)


@pytest.fixture
def mine(world_a, cycle) -> Objective:
    """The member's objective (in `team`, managed by `manager`), with two key results."""
    return make_objective(world_a.org, cycle, title="Win the north", owner_type="person", user=world_a.member, krs=2)


def _state(objective: Objective) -> tuple[str, str, int]:
    objective.refresh_from_db()
    return objective.approval_status, objective.status, ObjectiveReview.objects.filter(objective=objective).count()


def test_submit_freezes_the_coachs_score_and_findings(world_a, mine):
    services.objective_submit(objective=mine, actor=world_a.member, comment="Ready")
    review = ObjectiveReview.objects.get(objective=mine)
    assert review.action == "submitted" and review.actor == world_a.member and review.comment == "Ready"
    assert review.coach_score is not None and 0 <= review.coach_score <= 100
    assert isinstance(review.coach_findings, list)
    assert _state(mine)[0] == ApprovalStatus.IN_REVIEW
    entry = ActivityEntry.objects.get(verb="objective.submitted")
    assert entry.after["approval_status"] == "in_review"


def test_the_frozen_score_does_not_follow_later_edits(world_a, mine):
    services.objective_submit(objective=mine, actor=world_a.member)
    frozen = ObjectiveReview.objects.get(objective=mine).coach_findings
    services.objective_update(objective=mine, actor=world_a.member, title="Launch 12 campaigns")
    assert ObjectiveReview.objects.get(objective=mine).coach_findings == frozen


def test_the_owners_manager_approves_and_then_it_can_be_activated(world_a, mine):
    services.objective_submit(objective=mine, actor=world_a.member)
    check_objective_review(_m(world_a, world_a.manager), mine)
    services.objective_approve(objective=mine, actor=world_a.manager, comment="Good")
    assert _state(mine)[0] == ApprovalStatus.APPROVED
    services.objective_set_status(objective=mine, actor=world_a.member, status=ObjectiveStatus.ACTIVE)
    assert _state(mine)[1] == ObjectiveStatus.ACTIVE
    assert [r.action for r in ObjectiveReview.objects.filter(objective=mine)] == ["submitted", "approved"]


def test_a_peer_may_not_review_and_a_manager_of_another_team_neither(world_a, mine):
    peer = UserFactory()
    MembershipFactory(organization=world_a.org, user=peer, role=Role.MEMBER)
    place(world_a.team, peer)
    other_mgr = UserFactory()
    MembershipFactory(organization=world_a.org, user=other_mgr, role=Role.MANAGER)
    place(world_a.other_team, other_mgr, manager=True)
    for user in (peer, other_mgr, world_a.viewer):
        assert not may_review(_m(world_a, user), mine)
        with pytest.raises(PermissionDenied):
            check_objective_review(_m(world_a, user), mine)
    assert may_review(_m(world_a, world_a.manager), mine)
    assert may_review(_m(world_a, world_a.admin), mine)


def test_a_manager_up_the_tree_reviews_a_person_of_a_team_below(world_a, cycle):
    someone = UserFactory()
    MembershipFactory(organization=world_a.org, user=someone, role=Role.MEMBER)
    place(world_a.sub_team, someone)
    objective = make_objective(world_a.org, cycle, owner_type="person", user=someone, krs=2)
    assert may_review(_m(world_a, world_a.manager), objective)


def test_company_objectives_are_reviewed_by_admins_only(world_a, cycle):
    company = make_objective(world_a.org, cycle, owner_type="company", krs=2)
    assert not may_review(_m(world_a, world_a.manager), company)
    assert may_review(_m(world_a, world_a.admin), company)


def test_a_team_objective_is_reviewed_above_the_team_not_by_its_own_manager(world_a, cycle):
    objective = make_objective(world_a.org, cycle, owner_type="team", team=world_a.team, krs=2)
    with pytest.raises(ValidationError):  # the manager's own team: their own work
        check_objective_review(_m(world_a, world_a.manager), objective)
    sub = make_objective(world_a.org, cycle, owner_type="team", team=world_a.sub_team, krs=2)
    assert may_review(_m(world_a, world_a.manager), sub)  # a team below theirs
    top = TeamFactory(organization=world_a.org, name="Board")
    world_a.team.parent = top
    world_a.team.save(update_fields=["parent"])
    boss = UserFactory()
    MembershipFactory(organization=world_a.org, user=boss, role=Role.MANAGER)
    place(top, boss, manager=True)
    assert may_review(_m(world_a, boss), objective)


def test_approving_ones_own_objective_is_refused_and_nothing_changes(world_a, mine):
    services.objective_submit(objective=mine, actor=world_a.member)
    before = _state(mine)
    with pytest.raises(ValidationError) as exc:
        services.objective_approve(objective=mine, actor=world_a.member)
    assert "your own objective" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError):
        check_objective_review(_m(world_a, world_a.member), mine)
    assert _state(mine) == before
    assert not ActivityEntry.objects.filter(verb="objective.approved").exists()


def test_an_admin_may_approve_their_own_objective(world_a, cycle):
    objective = make_objective(world_a.org, cycle, owner_type="person", user=world_a.admin, krs=2)
    services.objective_submit(objective=objective, actor=world_a.admin)
    check_objective_review(_m(world_a, world_a.admin), objective)
    services.objective_approve(objective=objective, actor=world_a.admin)
    assert _state(objective)[0] == ApprovalStatus.APPROVED


def test_activating_before_approval_is_refused_and_nothing_changes(world_a, mine):
    for step in (None, "submit"):
        if step:
            services.objective_submit(objective=mine, actor=world_a.member)
        before = _state(mine)
        with pytest.raises(ValidationError) as exc:
            services.objective_set_status(objective=mine, actor=world_a.member, status=ObjectiveStatus.ACTIVE)
        assert "approved" in " ".join(exc.value.messages)
        assert _state(mine) == before
    assert not ActivityEntry.objects.filter(verb="objective.activated").exists()


def test_request_changes_needs_a_comment_then_the_owner_resubmits(world_a, mine):
    services.objective_submit(objective=mine, actor=world_a.member)
    before = _state(mine)
    with pytest.raises(ValidationError) as exc:
        services.objective_request_changes(objective=mine, actor=world_a.manager, comment="  ")
    assert "comment" in exc.value.message_dict
    assert _state(mine) == before
    services.objective_request_changes(objective=mine, actor=world_a.manager, comment="Sharper targets")
    assert _state(mine)[0] == ApprovalStatus.CHANGES_REQUESTED
    services.objective_submit(objective=mine, actor=world_a.member)
    assert _state(mine)[0] == ApprovalStatus.IN_REVIEW


@pytest.mark.parametrize(
    ("setup", "step"),
    [
        ("draft", "approve"),
        ("draft", "request_changes"),
        ("in_review", "submit"),
        ("approved", "submit"),
        ("approved", "approve"),
    ],
)
def test_bad_transitions_are_refused_and_nothing_changes(world_a, mine, setup, step):
    if setup != "draft":
        services.objective_submit(objective=mine, actor=world_a.member)
    if setup == "approved":
        services.objective_approve(objective=mine, actor=world_a.manager)
    before = _state(mine)
    calls = {
        "submit": lambda: services.objective_submit(objective=mine, actor=world_a.member),
        "approve": lambda: services.objective_approve(objective=mine, actor=world_a.manager),
        "request_changes": lambda: services.objective_request_changes(
            objective=mine, actor=world_a.manager, comment="x"
        ),
    }
    with pytest.raises(ValidationError):
        calls[step]()
    assert _state(mine) == before


def test_submitting_needs_two_key_results_and_a_cycle_that_asks(world_a, cycle):
    bare = make_objective(world_a.org, cycle, owner_type="person", user=world_a.member, krs=1)
    with pytest.raises(ValidationError):
        services.objective_submit(objective=bare, actor=world_a.member)
    plain = make_objective(world_a.org, make_cycle(world_a.org, name="Plain"), owner_type="company", krs=2)
    with pytest.raises(ValidationError):
        services.objective_submit(objective=plain, actor=world_a.admin)
    assert ObjectiveReview.objects.count() == 0


def test_without_approvals_activation_is_as_before(world_a):
    plain = make_objective(world_a.org, make_cycle(world_a.org, name="Plain"), owner_type="company", krs=2)
    services.objective_set_status(objective=plain, actor=world_a.admin, status=ObjectiveStatus.ACTIVE)
    services.objective_update(objective=plain, actor=world_a.admin, weight=3)
    assert _state(plain) == (ApprovalStatus.DRAFT, ObjectiveStatus.ACTIVE, 0)


def _approved(world_a, objective):
    services.objective_submit(objective=objective, actor=world_a.member)
    services.objective_approve(objective=objective, actor=world_a.manager)
    return objective


def test_a_target_change_after_approval_sends_it_back_to_review_with_its_reason(world_a, mine):
    _approved(world_a, mine)
    kr = mine.key_results.first()
    services.key_result_update(key_result=kr, actor=world_a.member, target_value=50, reason="Budget doubled")
    assert _state(mine)[0] == ApprovalStatus.IN_REVIEW
    last = ObjectiveReview.objects.filter(objective=mine).last()
    assert last.action == "reopened" and last.reason == "Budget doubled" and last.coach_score is not None
    entry = ActivityEntry.objects.get(verb="objective.reopened_for_review")
    assert entry.after["reason"] == "Budget doubled"


def test_a_material_edit_without_a_reason_is_refused_and_nothing_changes(world_a, mine):
    _approved(world_a, mine)
    kr = mine.key_results.first()
    kr_id = kr.pk
    before = (_state(mine), kr.target_value, kr.start_value, kr.weight, mine.weight, mine.key_results.count())
    edits = [
        lambda: services.key_result_update(key_result=kr, actor=world_a.member, target_value=50),
        lambda: services.key_result_update(key_result=kr, actor=world_a.member, start_value=5),
        lambda: services.key_result_update(key_result=kr, actor=world_a.member, weight=3, reason="  "),
        lambda: services.objective_update(objective=mine, actor=world_a.member, weight=2),
        lambda: make_kr(mine, title="One more"),
        lambda: services.key_result_delete(key_result=kr, actor=world_a.member),
    ]
    for edit in edits:
        with pytest.raises(ValidationError) as exc:
            edit()
        assert "reason" in exc.value.message_dict
    kr = type(kr).objects.get(pk=kr_id)  # a refused delete leaves the row, not the instance's pk
    mine.refresh_from_db()
    after = (_state(mine), kr.target_value, kr.start_value, kr.weight, mine.weight, mine.key_results.count())
    assert after == before


def test_adding_or_removing_a_key_result_with_a_reason_sends_it_back(world_a, mine):
    _approved(world_a, mine)
    services.key_result_create(
        objective=mine, actor=world_a.member, title="Third", target_value=5, reason="New channel"
    )
    assert _state(mine)[0] == ApprovalStatus.IN_REVIEW


def test_title_and_description_edits_keep_the_approval(world_a, mine):
    _approved(world_a, mine)
    kr = mine.key_results.first()
    services.objective_update(objective=mine, actor=world_a.member, title="Win the whole north", description="Why")
    services.key_result_update(key_result=kr, actor=world_a.member, title="Reach 10 new dealers")
    assert _state(mine)[0] == ApprovalStatus.APPROVED
    assert not ActivityEntry.objects.filter(verb="objective.reopened_for_review").exists()
