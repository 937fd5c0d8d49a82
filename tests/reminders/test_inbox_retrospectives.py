"""Retrospectives in the To do inbox: the owner is asked to write one as the cycle comes to
its close, the reviewer (the close page's rule) to acknowledge it; each item links to the
close page and leaves once done; another organisation's never shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from objectives import services as okr
from orgs.models import Membership
from reminders.inbox import inbox
from rituals import services as rituals
from rituals.review import REVIEW_OPENS_DAYS_BEFORE_END
from tests.factories import MembershipFactory, UserFactory, place
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

# The thread's cycle, Q4 2026, ends on Wednesday 30 December 2026.
EARLY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
NEAR_THE_END = datetime(2026, 12, 21, 10, 0, tzinfo=UTC)


def _m(world, user):
    return Membership.objects.get(organization=world.org, user=user)


def _items(world, user, kind, now=NEAR_THE_END):
    return {i.object_id: i for i in inbox(org=world.org, membership=_m(world, user), now=now) if i.kind == kind}


def _write(objective, actor):
    rituals.retrospective_save(
        objective=objective, actor=actor, went_well="Two distributors early", learned="Start sooner"
    )


def test_owner_is_asked_for_the_retrospective_near_the_close_and_the_manager_then_acknowledges(world_a, thread):
    objective, cycle = thread.objective, thread.objective.cycle
    assert cycle.end_date - EARLY.date() > timedelta(days=REVIEW_OPENS_DAYS_BEFORE_END)
    assert objective.pk not in _items(world_a, thread.sam, "retrospective", now=EARLY)

    item = _items(world_a, thread.sam, "retrospective")[objective.pk]
    assert item.title == "Write the retrospective of “Win the south”"
    assert item.url == f"/o/alpha/cycles/{cycle.pk}/close/#objective-{objective.pk}"
    assert item.due == cycle.end_date and not item.overdue
    # Only the owner writes it; nobody reviews what is not written yet.
    for other in (world_a.manager, world_a.member, world_a.admin):
        assert objective.pk not in _items(world_a, other, "retrospective")
        assert objective.pk not in _items(world_a, other, "retrospective_review")

    _write(objective, thread.sam)
    assert objective.pk not in _items(world_a, thread.sam, "retrospective")
    review = _items(world_a, world_a.manager, "retrospective_review")[objective.pk]
    assert review.title == "Acknowledge the retrospective of “Win the south”"
    assert review.detail == "Sam Tran wrote it for Q4 2026."
    assert review.url == item.url
    # The reviewer is the owner's manager: not a teammate, not an admin who manages nobody.
    assert objective.pk not in _items(world_a, world_a.member, "retrospective_review")
    assert objective.pk not in _items(world_a, world_a.admin, "retrospective_review")
    assert objective.pk not in _items(world_a, thread.sam, "retrospective_review")

    rituals.retrospective_review(objective=objective, actor=world_a.manager, acknowledge=True)
    assert objective.pk not in _items(world_a, world_a.manager, "retrospective_review")


def test_a_comment_without_acknowledging_keeps_it_waiting_and_a_cancelled_objective_asks_nothing(world_a, thread):
    _write(thread.objective, thread.sam)
    rituals.retrospective_review(objective=thread.objective, actor=world_a.manager, acknowledge=False, comment="Why?")
    assert thread.objective.pk in _items(world_a, world_a.manager, "retrospective_review")
    okr.objective_set_status(objective=thread.objective, actor=world_a.admin, status="cancelled")
    assert thread.objective.pk not in _items(world_a, world_a.manager, "retrospective_review")


def test_past_the_end_the_retrospective_is_overdue_and_a_closed_cycle_asks_nothing(world_a, thread):
    after = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
    assert _items(world_a, thread.sam, "retrospective", now=after)[thread.objective.pk].overdue
    rituals.cycle_close(cycle=thread.objective.cycle, actor=world_a.admin, force=True)
    assert not _items(world_a, thread.sam, "retrospective", now=after)


def test_team_and_company_objectives_go_to_their_owners_and_reviewers(world_a, thread):
    cycle = thread.objective.cycle
    company = make_objective(world_a.org, cycle, title="Be the reference", owner_type="company")
    marketing = make_objective(world_a.org, cycle, title="Own the south", owner_type="team", team=world_a.team)
    growth = make_objective(world_a.org, cycle, title="Grow", owner_type="team", team=world_a.sub_team)
    place(world_a.sub_team, thread.sam, manager=True)  # Sam manages Growth, below Marketing
    Membership.objects.filter(organization=world_a.org, user=thread.sam).update(role="manager")

    assert set(_items(world_a, world_a.admin, "retrospective")) == {company.pk}
    assert set(_items(world_a, world_a.manager, "retrospective")) == {marketing.pk}
    assert set(_items(world_a, thread.sam, "retrospective")) == {thread.objective.pk, growth.pk}

    for objective, author in (
        (company, world_a.admin),
        (marketing, world_a.manager),
        (growth, thread.sam),
        (thread.objective, thread.sam),
    ):
        _write(objective, author)
    # A top-level team's manager is the company: an admin reviews it, as a company objective.
    assert set(_items(world_a, world_a.admin, "retrospective_review")) == {company.pk, marketing.pk}
    # Growth sits below Marketing: Marketing's manager reviews it, not Sam; and Sam, though a
    # manager of a team he is in, never reviews his own.
    assert set(_items(world_a, world_a.manager, "retrospective_review")) == {growth.pk, thread.objective.pk}
    assert not _items(world_a, thread.sam, "retrospective_review")


def test_another_organisations_retrospectives_never_show(world_a, world_b, thread):
    cycle_b = make_cycle(world_b.org)
    company_b = make_objective(world_b.org, cycle_b, title="Beta's own", owner_type="company")
    person_b = make_objective(world_b.org, cycle_b, title="Beta member's", owner_type="person", user=world_b.member)
    _write(person_b, world_b.member)
    assert company_b.pk in _items(world_b, world_b.admin, "retrospective")
    _write(company_b, world_b.admin)
    assert set(_items(world_b, world_b.admin, "retrospective_review")) == {company_b.pk}
    assert person_b.pk in _items(world_b, world_b.manager, "retrospective_review")
    company_b_unwritten = make_objective(world_b.org, cycle_b, title="Beta's second", owner_type="company")
    company_a = make_objective(world_a.org, thread.objective.cycle, title="Alpha's own", owner_type="company")
    _write(company_a, world_a.admin)

    for user in (world_a.admin, world_a.manager, world_a.member, thread.sam):
        shown = set(_items(world_a, user, "retrospective")) | set(_items(world_a, user, "retrospective_review"))
        assert not shown & {company_b.pk, person_b.pk, company_b_unwritten.pk}
    assert set(_items(world_a, world_a.admin, "retrospective_review")) == {company_a.pk}


def test_the_inbox_page_links_to_the_close_page_and_its_query_count_does_not_grow(world_a, web):
    today = world_a.org.today()
    cycle = make_cycle(world_a.org, name="Closing soon", start=today - timedelta(days=80), days=86)

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            u = UserFactory(email=f"p{i}@alpha.test", name=f"Person {i}")
            MembershipFactory(organization=world_a.org, user=u, role="member")
            place(world_a.team, u)
            theirs = make_objective(world_a.org, cycle, title=f"Theirs {i}", owner_type="person", user=u)
            make_kr(theirs, owner=u)
            _write(theirs, u)  # for the manager to acknowledge
            make_objective(world_a.org, cycle, title=f"Mine {i}", owner_type="person", user=world_a.manager)

    def page() -> tuple[int, str]:
        c = web(world_a.manager)
        with CaptureQueriesContext(connection) as queries:
            html = c.get("/o/alpha/todo/").content.decode()
        return len(queries), html

    add(2, 0)
    few, html = page()
    assert "Retrospectives to acknowledge" in html and "Retrospectives to write" in html
    assert html.count("Acknowledge the retrospective of") == 2 and html.count("Write the retrospective of") == 2
    assert f'href="/o/alpha/cycles/{cycle.pk}/close/#objective-' in html
    add(20, 2)
    many, html = page()
    assert html.count("Acknowledge the retrospective of") == 22 and html.count("Write the retrospective of") == 22
    assert many == few

    c = web(world_a.manager)
    close_page = c.get(f"/o/alpha/cycles/{cycle.pk}/close/").content.decode()
    first = next(
        i for i in inbox(org=world_a.org, membership=_m(world_a, world_a.manager)) if i.kind == "retrospective"
    )
    assert f'id="objective-{first.object_id}"' in close_page


def test_inbox_api_lists_retrospectives(world_a, api, thread, pin_now):
    # Early in the thread's cycle (no retrospective of its own yet), a cycle that ends within the window.
    pin_now(EARLY)
    today = world_a.org.today()
    cycle = make_cycle(world_a.org, name="Ending", start=today - timedelta(days=60), days=65)
    objective = make_objective(world_a.org, cycle, title="Closing out", owner_type="person", user=thread.sam)
    results = api(thread.sam).get("/api/v1/orgs/alpha/inbox/?page_size=100").json()["results"]
    [row] = [r for r in results if r["kind"] == "retrospective"]
    assert row["object_id"] == objective.pk and row["due"] == cycle.end_date.isoformat()
    assert row["url"] == f"/o/alpha/cycles/{cycle.pk}/close/#objective-{objective.pk}"


def test_a_person_without_a_manager_has_their_retrospective_reviewed_by_the_admins(world_a, thread):
    cycle = thread.objective.cycle
    second_admin = UserFactory(email="admin2@alpha.test", name="Second admin")
    MembershipFactory(organization=world_a.org, user=second_admin, role="admin")
    loner = UserFactory(email="loner@alpha.test", name="Lone Wolf")  # in no team
    MembershipFactory(organization=world_a.org, user=loner, role="member")
    finance = UserFactory(email="fin@alpha.test", name="Fin Ance")  # in a team nobody manages
    MembershipFactory(organization=world_a.org, user=finance, role="member")
    place(world_a.other_team, finance)
    owners = {
        "loner": loner,
        "finance": finance,
        "manager": world_a.manager,  # manages the top-level Marketing: nobody above him but the company
        "admin": world_a.admin,
        "sam": thread.sam,  # has a manager: Marketing's
    }
    mine = {}
    for key, owner in owners.items():
        mine[key] = make_objective(world_a.org, cycle, title=f"{key}'s", owner_type="person", user=owner)
        _write(mine[key], owner)
    _write(thread.objective, thread.sam)
    unmanaged = {mine[k].pk for k in ("loner", "finance", "manager")}

    assert set(_items(world_a, world_a.admin, "retrospective_review")) == unmanaged
    assert set(_items(world_a, second_admin, "retrospective_review")) == unmanaged | {mine["admin"].pk}
    assert set(_items(world_a, world_a.manager, "retrospective_review")) == {mine["sam"].pk, thread.objective.pk}
    for user in (loner, finance, thread.sam, world_a.member):
        assert not _items(world_a, user, "retrospective_review")

    # One admin acknowledges: it leaves every admin's To do.
    rituals.retrospective_review(objective=mine["loner"], actor=second_admin, acknowledge=True)
    assert mine["loner"].pk not in _items(world_a, world_a.admin, "retrospective_review")
    # A "manager" flag on someone who is only a member makes no manager: still the admins'.
    flagged = UserFactory(email="flag@alpha.test", name="Flagged")
    MembershipFactory(organization=world_a.org, user=flagged, role="member")
    place(world_a.other_team, flagged, manager=True)
    assert mine["finance"].pk in _items(world_a, world_a.admin, "retrospective_review")
    assert not _items(world_a, flagged, "retrospective_review")
    # Once in a managed team, the person's manager reviews them, no longer the admins.
    place(world_a.sub_team, finance)
    assert mine["finance"].pk in _items(world_a, world_a.manager, "retrospective_review")
    assert mine["finance"].pk not in _items(world_a, world_a.admin, "retrospective_review")


def test_inbox_api_sends_the_retrospective_of_a_person_without_a_manager_to_the_admins(world_a, api):
    today = world_a.org.today()
    cycle = make_cycle(world_a.org, name="Ending", start=today - timedelta(days=60), days=65)
    loner = UserFactory(email="loner@alpha.test", name="Lone Wolf")
    MembershipFactory(organization=world_a.org, user=loner, role="member")
    objective = make_objective(world_a.org, cycle, title="On my own", owner_type="person", user=loner)
    _write(objective, loner)

    def reviews(user) -> list[int]:
        results = api(user).get("/api/v1/orgs/alpha/inbox/?page_size=100").json()["results"]
        return [r["object_id"] for r in results if r["kind"] == "retrospective_review"]

    assert reviews(world_a.admin) == [objective.pk]
    assert reviews(world_a.manager) == [] and reviews(loner) == []
