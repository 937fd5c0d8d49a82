"""The To do inbox: items appear when due, link to where they are done, and leave when done."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conversations import services as talk
from objectives import services as okr
from orgs.models import Membership
from reminders.inbox import inbox
from tests.kpis.kpi_factories import make_kpi, record

# Tuesday 1 December 2026 (the KPI's November value is due; the week began on Monday 30 November).
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _kinds(org, user):
    membership = Membership.objects.get(organization=org, user=user)
    return [(i.kind, i.object_id) for i in inbox(org=org, membership=membership, now=NOW)]


def test_key_results_to_check_in_leave_once_checked_in(world_a, thread):
    items = _kinds(world_a.org, thread.sam)
    # The first key result was checked in when the fixture ran (today), the second never.
    assert ("check_in", thread.kr.pk) not in items
    second = thread.objective.key_results.exclude(pk=thread.kr.pk).get()
    assert ("check_in", second.pk) in items
    okr.key_result_check_in(key_result=second, actor=thread.sam, value=1, confidence=6, at=NOW)
    assert ("check_in", second.pk) not in _kinds(world_a.org, thread.sam)


def test_kpi_value_due_leaves_once_recorded(world_a):
    kpi = make_kpi(world_a.org, name="Proposals sent", owner_type="person", user=world_a.member)
    item = next(i for i in inbox(org=world_a.org, membership=_m(world_a, world_a.member), now=NOW) if i.kind == "kpi")
    assert item.object_id == kpi.pk and item.url == f"/o/alpha/kpis/{kpi.pk}/"
    assert "Proposals sent" in item.title and item.due.isoformat() == "2026-12-01"
    record(kpi, "2026-11-01", 12)
    assert not [i for i in inbox(org=world_a.org, membership=_m(world_a, world_a.member), now=NOW) if i.kind == "kpi"]


def _m(world, user):
    return Membership.objects.get(organization=world.org, user=user)


def test_manager_sees_checkins_to_acknowledge_with_off_track_count(world_a, thread):
    second = thread.objective.key_results.exclude(pk=thread.kr.pk).get()
    okr.key_result_check_in(key_result=second, actor=thread.sam, value=0, confidence=2, note="Stuck", at=NOW)
    # 8 of 10 with 61 of 91 days gone (expected 0.67): on track; the other one, confidence 2: off track.
    okr.key_result_check_in(key_result=thread.kr, actor=thread.sam, value=8, confidence=8, at=NOW)
    item = next(
        i for i in inbox(org=world_a.org, membership=_m(world_a, world_a.manager), now=NOW) if i.kind == "acknowledge"
    )
    assert item.title == "Sam Tran checked in 2 key results; 1 is off track"
    assert item.object_id == thread.sam.pk and len(item.check_in_ids) == 3
    assert not [
        i for i in inbox(org=world_a.org, membership=_m(world_a, world_a.member), now=NOW) if i.kind == "acknowledge"
    ]
    talk.check_ins_acknowledge(org=world_a.org, actor=world_a.manager, check_ins=item.check_ins)
    assert not [
        i for i in inbox(org=world_a.org, membership=_m(world_a, world_a.manager), now=NOW) if i.kind == "acknowledge"
    ]


def test_mentions_wait_until_opened(world_a, web, thread):
    comment = talk.comment_create(
        org=world_a.org, actor=world_a.member, check_in=thread.check_in, body=f"@{thread.sam.email} well done"
    )
    item = next(i for i in inbox(org=world_a.org, membership=_m(world_a, thread.sam), now=NOW) if i.kind == "mention")
    assert item.title == "Member alpha mentioned you on “Win the south”"
    c = web(thread.sam)
    r = c.post(f"/o/alpha/todo/mentions/{comment.pk}/open/")
    assert r.status_code == 302 and r["Location"] == f"/o/alpha/okrs/{thread.objective.pk}/#comment-{comment.pk}"
    assert not [i for i in inbox(org=world_a.org, membership=_m(world_a, thread.sam), now=NOW) if i.kind == "mention"]


def test_empty_inbox_says_so_kindly_and_login_lands_on_the_dashboard(world_a, web):
    c = web(world_a.viewer)
    html = c.get("/o/alpha/todo/").content.decode()
    assert "Nothing to do right now" in html
    assert c.get("/start/")["Location"] == "/o/alpha/start/"
    assert c.get("/o/alpha/start/")["Location"] == "/o/alpha/"


def test_login_lands_on_the_inbox_when_something_is_due(world_a, client, password, pin_now):
    pin_now(NOW)
    make_kpi(world_a.org, name="Leads", owner_type="person", user=world_a.member)
    r = client.post("/accounts/login/", {"username": world_a.member.email, "password": password}, follow=True)
    assert r.redirect_chain[-1][0] == "/o/alpha/todo/"
    html = r.content.decode()
    assert "Record Leads for the period starting 2026-11-01" in html and 'href="/o/alpha/kpis/' in html


def test_acknowledge_from_the_inbox_page(world_a, web, thread, pin_now):
    pin_now(NOW)  # the page lists the last 14 days' check-ins; the thread's is from 1 December
    c = web(world_a.manager)
    html = c.get("/o/alpha/todo/").content.decode()
    assert "Sam Tran checked in 1 key result" in html
    r = c.post("/o/alpha/todo/acknowledge/", {"check_in": [thread.check_in.pk]}, follow=True)
    assert "1 check-in acknowledged." in r.content.decode()
    assert "Sam Tran checked in" not in r.content.decode()
    # A check-in of someone the caller does not manage cannot be acknowledged.
    assert web(world_a.member).post("/o/alpha/todo/acknowledge/", {"check_in": [thread.check_in.pk]}).status_code == 403


def test_inbox_api_is_the_callers_own_and_paginated(world_a, world_b, api, thread, pin_now):
    pin_now(NOW)  # weeks before the cycle's end: no retrospective is asked for yet
    talk.comment_create(org=world_a.org, actor=world_a.member, objective=thread.objective, body=f"@{thread.sam.email}")
    r = api(thread.sam).get("/api/v1/orgs/alpha/inbox/")
    assert r.status_code == 200
    data = r.json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert {i["kind"] for i in data["results"]} == {"mention", "check_in"}
    assert set(data["results"][0]) == {"kind", "title", "url", "due", "object_id"}
    assert api(world_b.admin).get("/api/v1/orgs/alpha/inbox/").status_code == 404


@pytest.mark.parametrize("people", [2, 25])
def test_inbox_query_count_does_not_grow(world_a, thread, people, django_assert_max_num_queries):
    from tests.factories import MembershipFactory, UserFactory, place
    from tests.objectives.okr_factories import make_kr, make_objective

    for i in range(people):
        u = UserFactory(email=f"p{i}@alpha.test")
        MembershipFactory(organization=world_a.org, user=u, role="member")
        place(world_a.team, u)
        o = make_objective(world_a.org, thread.objective.cycle, title=f"O{i}", owner_type="person", user=u)
        kr = make_kr(o, owner=u)
        make_kr(o, owner=world_a.manager)
        okr.objective_set_status(objective=o, actor=world_a.admin, status="active")
        okr.key_result_check_in(key_result=kr, actor=u, value=1, confidence=5, at=NOW)
        make_kpi(world_a.org, name=f"K{i}", owner_type="person", user=world_a.manager)
        talk.comment_create(org=world_a.org, actor=u, objective=o, body=f"@{world_a.manager.email}")
    # 19: with the pulls waiting for their owner, the objectives waiting for review and whether anything
    # is restricted (one query each; the last is kept under the data version outside the tests)
    with django_assert_max_num_queries(19):
        items = inbox(org=world_a.org, membership=_m(world_a, world_a.manager), now=NOW)
    assert len([i for i in items if i.kind == "mention"]) == people
