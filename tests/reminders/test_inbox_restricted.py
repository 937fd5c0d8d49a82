"""The To do counts what its reader may see (DESIGN §3, Visibility): a manager's "Sam checked in
N key results; M are off track" leaves out the check-ins on objectives the manager may not see —
a number only, but still news of activity there — while the objective's owner, who also manages
Sam, counts them. Every item naming an objective goes through the one filter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from objectives import services as okr
from objectives.models import Objective
from orgs.models import Membership
from orgs.visibility import Visibility
from reminders.inbox import inbox
from tests.factories import MembershipFactory, UserFactory, place
from tests.objectives.okr_factories import make_kr, make_objective

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # the thread's check-in was at 09:00 the same day
SECRET = "Zqx merger talks"


def _m(org, user) -> Membership:
    return Membership.objects.select_related("organization", "user").get(organization=org, user=user)


def _detail(objective) -> str:
    return reverse("objectives:detail", args=["alpha", objective.pk])


def _acknowledge(org, user) -> list:
    return [i for i in inbox(org=org, membership=_m(org, user), now=NOW) if i.kind == "acknowledge"]


@pytest.fixture
def secret(world_a, thread):
    """Sam is in Marketing (managed by the world's manager) and in Finance, managed by Boss. Boss's
    private objective has two key results Sam holds (Sam is a named viewer): Sam checks both in,
    badly. The manager may not see it; Boss, its owner, may."""
    boss = UserFactory(email="boss@alpha.test", name="Boss")
    MembershipFactory(organization=world_a.org, user=boss, role="manager")
    place(world_a.other_team, boss, manager=True)
    place(world_a.other_team, thread.sam)
    objective = make_objective(
        world_a.org, thread.objective.cycle, title=SECRET, owner_type="person", user=boss, status="active"
    )
    krs = [make_kr(objective, title=f"{SECRET} {n}", owner=thread.sam, target=10) for n in (1, 2)]
    Objective.objects.filter(pk=objective.pk).update(visibility=Visibility.PRIVATE)
    objective.viewers.add(thread.sam)
    # The open key result on track, so only the hidden ones could make anything "off track".
    okr.key_result_check_in(key_result=thread.kr, actor=thread.sam, value=8, confidence=8, at=NOW)
    hidden = [okr.key_result_check_in(key_result=kr, actor=thread.sam, value=0, confidence=1, at=NOW) for kr in krs]
    return {"boss": boss, "objective": objective, "check_ins": hidden}


def test_a_manager_who_may_not_see_the_objective_counts_none_of_its_check_ins(world_a, thread, secret):
    [item] = _acknowledge(world_a.org, world_a.manager)
    assert item.title == "Sam Tran checked in 1 key result"  # not 3, and nothing "off track"
    assert not item.overdue
    assert set(item.check_in_ids) == {thread.check_in.pk, *(ci.pk for ci in thread.kr.check_ins.all())}
    assert not set(item.check_in_ids) & {ci.pk for ci in secret["check_ins"]}
    assert item.objective_id == thread.objective.pk and item.url.startswith(_detail(thread.objective))


def test_the_objectives_owner_counts_them(world_a, thread, secret):
    [item] = _acknowledge(world_a.org, secret["boss"])
    assert item.title == "Sam Tran checked in 3 key results; 2 are off track"
    assert item.overdue
    assert {ci.pk for ci in secret["check_ins"]} <= set(item.check_in_ids)


def test_the_to_do_page_and_api_show_the_managers_count(client, api, world_a, thread, secret, pin_now):
    pin_now(NOW)
    client.force_login(world_a.manager)
    page = client.get("/o/alpha/todo/").content.decode()
    assert "Sam Tran checked in 1 key result<" in page
    assert SECRET not in page and _detail(secret["objective"]) not in page
    assert "needs attention" not in page
    titles = [i["title"] for i in api(world_a.manager).get("/api/v1/orgs/alpha/inbox/").json()["results"]]
    assert "Sam Tran checked in 1 key result" in titles
    client.force_login(secret["boss"])
    assert "Sam Tran checked in 3 key results; 2 are off track" in client.get("/o/alpha/todo/").content.decode()


def test_a_hidden_objectives_check_ins_alone_leave_no_item(world_a, thread, secret):
    from conversations import services as talk

    talk.check_ins_acknowledge(
        org=world_a.org, actor=world_a.manager, check_ins=list(thread.kr.check_ins.all())
    )  # the open ones are done: only the hidden ones wait
    assert _acknowledge(world_a.org, world_a.manager) == []
    assert len(_acknowledge(world_a.org, secret["boss"])) == 1


def test_the_filter_costs_no_query_per_check_in(world_a, thread, secret):
    def queries() -> int:
        membership = _m(world_a.org, world_a.manager)
        with CaptureQueriesContext(connection) as ctx:
            inbox(org=world_a.org, membership=membership, now=NOW)
        return len(ctx.captured_queries)

    before = queries()
    for n in range(3, 6):
        kr = make_kr(secret["objective"], title=f"{SECRET} {n}", owner=thread.sam, target=10)
        for value in (1, 2):
            okr.key_result_check_in(key_result=kr, actor=thread.sam, value=value, confidence=2, at=NOW)
    assert queries() == before
    assert _acknowledge(world_a.org, world_a.manager)[0].title == "Sam Tran checked in 1 key result"
