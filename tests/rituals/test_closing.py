"""The end-of-cycle ritual through the services: grades, retrospectives and their review, the
close (frozen, read-only), re-opening, carry-over and the backlog, and the quarter statistics."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from activity.models import ActivityEntry
from cycles import services as cycle_services
from cycles.selectors import default_cycle
from objectives import services
from objectives.models import KeyResult, Objective, ObjectiveSnapshot, Retrospective
from orgs.models import Membership
from rituals import review
from rituals import services as ritual_services
from rituals.services.retrospectives import can_review
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


def check_in(kr: KeyResult, value: float, user) -> None:
    services.key_result_check_in(key_result=kr, actor=user, value=value, confidence=7)


@pytest.fixture
def cycle(world_a):
    return make_cycle(world_a.org)


@pytest.fixture
def objective(world_a, cycle):
    o = make_objective(world_a.org, cycle, title="Delight customers", owner_type="team", team=world_a.team)
    a = make_kr(o, title="NPS", owner=world_a.member, start=0, target=10)
    b = make_kr(o, title="Reply time", owner=world_a.member, start=0, target=10, weight=3)
    check_in(a, 7.4, world_a.member)  # 0.74 → 0.7
    check_in(b, 3.5, world_a.member)  # 0.35 → 0.4 (half up)
    return o


def membership(world, user) -> Membership:
    return Membership.objects.get(organization=world.org, user=user)


def krs(objective) -> list[KeyResult]:
    return list(KeyResult.objects.filter(objective=objective).order_by("id"))


# --- grades --------------------------------------------------------------------------------


def test_suggested_grade_is_clamped_progress_rounded_to_a_tenth(objective):
    a, b = krs(objective)
    assert a.suggested_grade() == 0.7 and b.suggested_grade() == 0.4


def test_a_grade_equal_to_the_suggestion_needs_no_note(world_a, objective):
    a, _b = krs(objective)
    kr = ritual_services.key_result_grade(key_result=a, actor=world_a.member, grade="0.7")
    assert kr.grade == 0.7 and kr.grade_note == ""
    assert ActivityEntry.objects.filter(verb="key_result.graded", target_id=a.pk).exists()


@pytest.mark.parametrize(
    ("grade", "message"),
    [
        ("1.2", "between 0.0 and 1.0"),
        ("-0.1", "between 0.0 and 1.0"),
        ("abc", "not a number"),
        ("", "Give a grade"),
        (None, "Give a grade"),
        ("nan", "not a number"),
    ],
)
def test_a_bad_grade_is_refused_with_a_clear_message_and_nothing_saved(world_a, objective, grade, message):
    a, _b = krs(objective)
    with pytest.raises(ValidationError, match=message):
        ritual_services.key_result_grade(key_result=a, actor=world_a.member, grade=grade, note="because")
    a.refresh_from_db()
    assert a.grade is None


def test_an_override_needs_a_note_where_the_organisation_requires_one(world_a, objective):
    a, _b = krs(objective)
    with pytest.raises(ValidationError, match="differs from the suggested 0.7: say why"):
        ritual_services.key_result_grade(key_result=a, actor=world_a.member, grade=1)
    a.refresh_from_db()
    assert a.grade is None
    kr = ritual_services.key_result_grade(key_result=a, actor=world_a.member, grade=1, note="The survey ran late")
    assert (kr.grade, kr.grade_note) == (1.0, "The survey ran late")


def test_an_override_without_a_note_is_fine_where_the_organisation_does_not_ask(world_a, objective):
    world_a.org.grade_note_required = False
    world_a.org.save(update_fields=["grade_note_required"])
    a, _b = krs(objective)
    assert ritual_services.key_result_grade(key_result=a, actor=world_a.member, grade=0.9).grade == 0.9


def test_no_grading_before_the_cycle_is_active_or_after_it_closed(world_a):
    planning = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), status="planning")
    o = make_objective(world_a.org, planning, krs=2)
    with pytest.raises(ValidationError, match="active cycle"):
        ritual_services.key_result_grade(key_result=krs(o)[0], actor=world_a.admin, grade=0)


# --- retrospectives and their review --------------------------------------------------------


def test_reviewer_is_the_owners_manager_or_an_admin_for_company_objectives(world_a, cycle):
    company = make_objective(world_a.org, cycle, title="Company")
    sub_team = make_objective(world_a.org, cycle, title="Growth", owner_type="team", team=world_a.sub_team)
    top_team = make_objective(world_a.org, cycle, title="Marketing", owner_type="team", team=world_a.team)
    person = make_objective(world_a.org, cycle, title="Mine", owner_type="person", user=world_a.member)
    admin, manager, member = (membership(world_a, u) for u in (world_a.admin, world_a.manager, world_a.member))
    assert can_review(admin, company) and not can_review(manager, company)
    assert can_review(manager, sub_team)  # the manager of the team above
    assert not can_review(manager, top_team) and can_review(admin, top_team)  # a top team's manager is the admin
    assert can_review(manager, person) and not can_review(member, person)


def test_acknowledgement_and_comment(world_a, objective):
    with pytest.raises(ValidationError, match="no retrospective to review"):
        ritual_services.retrospective_review(objective=objective, actor=world_a.admin, acknowledge=True)
    ritual_services.retrospective_save(
        objective=objective, actor=world_a.manager, went_well="Surveys", went_badly="Support", learned="Ask early"
    )
    with pytest.raises(ValidationError, match="Write a comment"):
        ritual_services.retrospective_review(objective=objective, actor=world_a.admin, acknowledge=False)
    retro = ritual_services.retrospective_review(
        objective=objective, actor=world_a.admin, acknowledge=False, comment="More?"
    )
    assert not retro.is_acknowledged and retro.reviewer_comment == "More?"
    retro = ritual_services.retrospective_review(objective=objective, actor=world_a.admin, acknowledge=True)
    assert retro.is_acknowledged and retro.acknowledged_by == world_a.admin
    # A changed retrospective asks for a new acknowledgement.
    retro = ritual_services.retrospective_save(objective=objective, actor=world_a.manager, went_well="Surveys!")
    assert not retro.is_acknowledged
    verbs = set(ActivityEntry.objects.filter(target_id=objective.pk).values_list("verb", flat=True))
    assert {"retrospective.saved", "retrospective.commented", "retrospective.acknowledged"} <= verbs


# --- the close -----------------------------------------------------------------------------


def test_close_is_refused_while_retrospectives_wait_and_nothing_changes(world_a, cycle, objective):
    with pytest.raises(ValidationError, match="1 objective's retrospective is not acknowledged"):
        ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, closing_message="Bye")
    cycle.refresh_from_db()
    assert cycle.status == "active" and cycle.closing_message == ""
    assert not KeyResult.objects.filter(objective=objective, grade__isnull=False).exists()


def test_close_grades_freezes_snapshots_and_records_the_message(world_a, cycle, objective):
    a, b = krs(objective)
    ritual_services.key_result_grade(key_result=a, actor=world_a.member, grade=1, note="Counted late answers")
    ritual_services.retrospective_save(objective=objective, actor=world_a.manager, went_well="x")
    ritual_services.retrospective_review(objective=objective, actor=world_a.admin, acknowledge=True)
    closed = ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, closing_message="A good quarter")
    assert (
        closed.status == "closed" and closed.closing_message == "A good quarter" and closed.closed_by == world_a.admin
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.grade == 1.0  # the override is kept
    assert b.grade == 0.4  # the suggestion is frozen
    objective.refresh_from_db()
    assert objective.grade == pytest.approx((1.0 * 1 + 0.4 * 3) / 4, abs=0.005)
    assert ObjectiveSnapshot.objects.filter(objective=objective, cycle=cycle).count() == 1
    assert ActivityEntry.objects.filter(verb="cycle.closed", target_id=cycle.pk).exists()
    assert not ActivityEntry.objects.filter(verb="cycle.closed_unacknowledged").exists()


def test_force_close_is_logged_with_what_was_unacknowledged(world_a, cycle, objective):
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    entry = ActivityEntry.objects.get(verb="cycle.closed_unacknowledged")
    assert entry.after == {"objectives": [objective.pk]} and entry.actor == world_a.admin


def test_a_closed_cycle_is_read_only_for_every_write(world_a, cycle, objective):
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    a, _b = krs(objective)
    writes = [
        lambda: services.key_result_check_in(key_result=a, actor=world_a.member, value=9, confidence=5),
        lambda: ritual_services.key_result_grade(key_result=a, actor=world_a.member, grade=0.7),
        lambda: ritual_services.retrospective_save(objective=objective, actor=world_a.manager, went_well="late"),
        lambda: services.objective_update(objective=objective, actor=world_a.admin, title="New"),
        lambda: services.objective_set_status(objective=objective, actor=world_a.admin, status="cancelled"),
        lambda: services.key_result_create(
            objective=objective, actor=None, title="X", owner=world_a.admin, target_value=1
        ),
        lambda: services.objective_delete(objective=objective, actor=world_a.admin),
        lambda: make_objective(world_a.org, cycle),
        lambda: cycle_services.cycle_update(cycle=cycle, actor=world_a.admin, name="Renamed"),
        lambda: cycle_services.cycle_update(cycle=cycle, actor=world_a.admin, end_date=date(2027, 1, 31)),
    ]
    for write in writes:
        with pytest.raises(ValidationError, match="closed"):
            write()
    a.refresh_from_db()
    assert a.current_value == 7.4
    assert Objective.objects.get(pk=objective.pk).title == "Delight customers"


def test_reopen_is_logged_and_keeps_the_grades(world_a, cycle, objective):
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    grades = [kr.grade for kr in krs(objective)]
    cycle_services.cycle_update(cycle=cycle, actor=world_a.admin, status="active")
    cycle.refresh_from_db()
    assert cycle.status == "active"
    assert [kr.grade for kr in krs(objective)] == grades
    assert ActivityEntry.objects.filter(verb="cycle.reopened", target_id=cycle.pk).exists()


def test_closing_twice_is_refused(world_a, cycle, objective):
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    with pytest.raises(ValidationError, match="Only an active cycle"):
        ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)


# --- carry-over and the backlog --------------------------------------------------------------


def test_carry_over_copies_chosen_key_results_from_where_they_ended(world_a, cycle, objective):
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    nxt = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), status="planning")
    a, b = krs(objective)
    (copy,) = ritual_services.objectives_carry_over(
        org=world_a.org, actor=world_a.manager, objectives=[objective], key_result_ids=[b.pk], target=nxt
    )
    assert copy.cycle == nxt and copy.status == "draft" and copy.carried_from == objective
    (kr,) = krs(copy)
    assert (kr.title, kr.start_value, kr.target_value, kr.current_value) == ("Reply time", 3.5, 10, 3.5)
    assert kr.carried_from == b and kr.progress == 0
    assert ActivityEntry.objects.filter(verb="objective.carried_over", target_id=copy.pk).exists()


def test_carry_over_into_the_backlog_then_plan_it(world_a, cycle, objective):
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    (copy,) = ritual_services.objectives_carry_over(
        org=world_a.org, actor=world_a.manager, objectives=[objective], target=None
    )
    assert copy.cycle is None and copy.in_backlog and len(krs(copy)) == 2
    assert copy.health() == ""
    with pytest.raises(ValidationError, match="in the backlog: plan it into a cycle first"):
        services.objective_set_status(objective=copy, actor=world_a.admin, status="active")
    with pytest.raises(ValidationError, match="in the backlog"):
        services.key_result_check_in(key_result=krs(copy)[0], actor=world_a.member, value=5, confidence=5)
    nxt = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), status="planning")
    planned = services.objective_update(objective=copy, actor=world_a.manager, cycle=nxt)
    assert planned.cycle == nxt
    assert services.objective_set_status(objective=planned, actor=world_a.manager, status="active").status == "active"


def test_carry_over_into_a_closed_or_foreign_cycle_is_refused_and_saves_nothing(world_a, world_b, cycle, objective):
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    before = Objective.objects.count()
    with pytest.raises(ValidationError, match="is closed; carry over into an open cycle"):
        ritual_services.objectives_carry_over(
            org=world_a.org, actor=world_a.admin, objectives=[objective], target=cycle
        )
    foreign = make_cycle(world_b.org, name="B next", start=date(2027, 1, 1), status="planning")
    with pytest.raises(ValidationError, match="Unknown cycle"):
        ritual_services.objectives_carry_over(
            org=world_a.org, actor=world_a.admin, objectives=[objective], target=foreign
        )
    assert Objective.objects.count() == before


# --- after the close, statistics ----------------------------------------------------------------


def test_after_the_close_pages_default_to_the_closed_cycle_until_the_next_is_active(world_a, cycle, objective):
    nxt = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), status="planning")
    assert default_cycle(org=world_a.org) == cycle
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    assert default_cycle(org=world_a.org) == cycle  # not the empty planning cycle
    cycle_services.cycle_update(cycle=nxt, actor=world_a.admin, status="active")
    assert default_cycle(org=world_a.org) == nxt


def test_quarter_statistics(world_a, cycle, objective):
    prev = make_cycle(world_a.org, name="Q3 2026", start=date(2026, 7, 1), days=92)
    old = make_objective(world_a.org, prev, title="Old", krs=2)
    ritual_services.cycle_close(cycle=prev, actor=world_a.admin, force=True)
    aspirational = make_objective(world_a.org, cycle, title="Stretch", owner_type="person", user=world_a.member)
    Objective.objects.filter(pk=aspirational.pk).update(commitment="aspirational")
    x = make_kr(aspirational, title="X", owner=world_a.member, start=0, target=10)
    make_kr(aspirational, title="Y", owner=world_a.member, start=0, target=10)  # never checked in
    check_in(x, 10, world_a.member)  # grades 1.0 and 0.0 → 0.5, below the 0.7 bar
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    stats = review.cycle_statistics(org=world_a.org, cycle=cycle)
    assert stats.objectives == 2 and stats.achieved == 0 and stats.not_achieved == 2
    by_team = {g.label: g for g in stats.by_team}
    assert set(by_team) == {"Marketing"}  # the member's objective counts with their team
    assert by_team["Marketing"].count == 2
    by_type = {g.label: g for g in stats.by_type}
    assert by_type["Aspirational"].grades == [0.5] and by_type["Aspirational"].bands["mid"] == 1
    assert [kr.title for kr in stats.never_checked_in] == ["Y"]
    assert stats.previous is not None and stats.previous.cycle == prev and stats.previous.objectives == 1
    assert old.pk  # the previous cycle's objective is graded 0.0
    assert stats.previous.mean_grade == 0.0


def test_an_aspirational_objective_is_achieved_at_point_seven(world_a, cycle):
    o = make_objective(world_a.org, cycle, title="Stretch", krs=0)
    kr = make_kr(o, title="X", start=0, target=10)
    make_kr(o, title="Y", start=0, target=10)
    check_in(kr, 10, world_a.admin)
    ritual_services.key_result_grade(key_result=krs(o)[1], actor=world_a.admin, grade=0.4, note="Half way")
    Objective.objects.filter(pk=o.pk).update(commitment="aspirational")
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    o.refresh_from_db()
    assert o.grade == 0.7 and o.achieved() is True
    Objective.objects.filter(pk=o.pk).update(commitment="committed")
    o.refresh_from_db()
    assert o.achieved() is False


def test_the_review_reads_a_big_cycle_in_a_fixed_number_of_queries(world_a, cycle, django_assert_max_num_queries):
    for i in range(30):
        o = make_objective(world_a.org, cycle, title=f"Objective {i}", krs=3, kr_owner=world_a.member)
        Retrospective.objects.create(organization=world_a.org, objective=o, went_well="ok")
    with django_assert_max_num_queries(4):
        objectives = review.review_objectives(org=world_a.org, cycle=cycle)
    assert len(objectives) == 30 and all(len(o.krs) == 3 for o in objectives)
    # Savepoints, the cycle lock and checks, the rollup outbox drained and the cycle's
    # objectives rolled up (one locked path read, the aggregates, the changed rows), three
    # reads, one update per distinct grade, the snapshot, the log: the same 24 statements
    # (25 on SQLite, which reads the outbox before deleting it) for 5 objectives or 30.
    with django_assert_max_num_queries(24 if connection.vendor == "postgresql" else 25):
        ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
