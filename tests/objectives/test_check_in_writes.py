"""The check-in's hot path writes exactly what the ORM would (DESIGN §7 made it lean).

On PostgreSQL the check-in, the key result's new values and the activity entry go in one
statement; on SQLite through the ORM. Both must leave the same rows, and the API must
answer the same for a key result it cannot see.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from activity.models import ActivityEntry
from objectives import services
from objectives.models import CheckIn, KeyResult, Objective
from objectives.services import check_ins
from orgs.models import Membership
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

CHECK_IN_FIELDS = (
    "organization_id", "key_result_id", "author_id", "value", "confidence", "note", "origin", "provenance",
)  # fmt: skip
KR_FIELDS = ("current_value", "confidence", "progress")
ENTRY_FIELDS = ("organization_id", "actor_id", "verb", "target_type", "target_id", "target_repr", "before", "after")


def _rows(kr: KeyResult, check_in: CheckIn) -> tuple[dict, dict, dict]:
    stored = CheckIn.objects.get(pk=check_in.pk)
    kr_row = KeyResult.objects.get(pk=kr.pk)
    entry = ActivityEntry.objects.filter(target_id=kr.pk, verb="key_result.checked_in").order_by("-id").first()
    return (
        {f: getattr(stored, f) for f in CHECK_IN_FIELDS} | {"created_at": stored.created_at == check_in.created_at},
        {f: getattr(kr_row, f) for f in KR_FIELDS}
        | {
            "last_check_in_at": kr_row.last_check_in_at == check_in.created_at,
            "updated": kr_row.updated_at > kr.created_at,
        },
        {f: getattr(entry, f) for f in ENTRY_FIELDS},
    )


@pytest.mark.parametrize("one_statement", [True, False])
def test_both_ways_of_writing_a_check_in_leave_the_same_rows(world_a, monkeypatch, one_statement):
    if one_statement and connection.vendor != "postgresql":
        pytest.skip("the one-statement write is PostgreSQL's")
    monkeypatch.setattr(check_ins, "ONE_STATEMENT_CHECK_IN", one_statement)
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="Grow")
    kr = make_kr(objective, owner=world_a.member, target=200)
    check_in = services.key_result_check_in(
        key_result=kr, actor=world_a.member, value=50, confidence=7, note="  Halfway, “quotes” and ünïcode  "
    )
    # What the returned object says is what was stored, and both are as the ORM writes them.
    assert check_in.pk and check_in.value == 50.0 and check_in.note == "Halfway, “quotes” and ünïcode"
    check_in_row, kr_row, entry = _rows(kr, check_in)
    assert check_in_row == {
        "organization_id": world_a.org.pk,
        "key_result_id": kr.pk,
        "author_id": world_a.member.pk,
        "value": 50.0,
        "confidence": 7,
        "note": "Halfway, “quotes” and ünïcode",
        "origin": "manual",
        "provenance": {"who": world_a.member.pk, "who_name": world_a.member.display_name},
        "created_at": True,
    }
    assert kr_row == {
        "current_value": 50.0,
        "confidence": 7,
        "progress": 0.25,
        "last_check_in_at": True,
        "updated": True,
    }
    assert entry == {
        "organization_id": world_a.org.pk,
        "actor_id": world_a.member.pk,
        "verb": "key_result.checked_in",
        "target_type": "objectives.keyresult",
        "target_id": kr.pk,
        "target_repr": str(kr),
        "before": {"current_value": 0.0, "confidence": None},
        "after": {"current_value": 50.0, "confidence": 7, "note": "Halfway, “quotes” and ünïcode", "origin": "manual"},
    }


def test_a_check_in_for_a_key_result_of_another_organisation_is_refused_like_a_missing_one(world_a, world_b, api):
    foreign = make_kr(make_objective(world_b.org, make_cycle(world_b.org), title="Theirs"), owner=world_b.member)
    for kr_id in (foreign.pk, 987654321):
        r = api(world_a.admin).post(
            f"/api/v1/orgs/{world_a.org.slug}/check-ins/",
            {"key_result": kr_id, "value": 1, "confidence": 5},
            format="json",
        )
        assert r.status_code == 400, r.content
        assert r.json()["errors"]["key_result"] == [f'Invalid pk "{kr_id}" - object does not exist.']
    assert not CheckIn.objects.filter(key_result=foreign).exists()
    for bad in ("abc", [1], True, 0, -3, 2**70):
        r = api(world_a.admin).post(
            f"/api/v1/orgs/{world_a.org.slug}/check-ins/",
            {"key_result": bad, "value": 1, "confidence": 5},
            format="json",
        )
        assert r.status_code == 400 and "key_result" in r.json()["errors"], (bad, r.content)


def test_someone_who_may_not_check_in_is_refused_and_nothing_is_written(world_a, api):
    objective = make_objective(world_a.org, make_cycle(world_a.org), title="Company goal")
    kr = make_kr(objective, owner=world_a.admin)
    before = ActivityEntry.objects.count()
    r = api(world_a.member).post(
        f"/api/v1/orgs/{world_a.org.slug}/check-ins/", {"key_result": kr.pk, "value": 1, "confidence": 5}, format="json"
    )
    assert r.status_code == 403, r.content
    assert not CheckIn.objects.filter(key_result=kr).exists()
    assert ActivityEntry.objects.count() == before
    assert KeyResult.objects.get(pk=kr.pk).current_value == kr.current_value


def test_an_integral_number_names_a_key_result_too(world_a, api):
    kr = make_kr(make_objective(world_a.org, make_cycle(world_a.org), title="Mine"), owner=world_a.member)
    r = api(world_a.member).post(
        f"/api/v1/orgs/{world_a.org.slug}/check-ins/",
        {"key_result": float(kr.pk), "value": 1, "confidence": 5},
        format="json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["key_result"] == kr.pk and r.json()["author"] == world_a.member.pk


def test_an_api_token_of_someone_deactivated_is_refused(world_a, client):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=world_a.member)
    world_a.member.is_active = False
    world_a.member.save(update_fields=["is_active"])
    r = client.get(f"/api/v1/orgs/{world_a.org.slug}/cycles/", HTTP_AUTHORIZATION=f"Token {token.key}")
    # DRF answers 403 when the first authentication scheme (the session) sends no challenge.
    assert r.status_code == 403 and r.json()["message"] == "User inactive or deleted.", r.content


@pytest.mark.parametrize("one_statement", [True, False])
def test_both_ways_queue_the_objectives_rollup_in_the_outbox(world_a, monkeypatch, settings, one_statement):
    from objectives import queue
    from objectives.models import RollupPending

    if one_statement and connection.vendor != "postgresql":
        pytest.skip("the one-statement write is PostgreSQL's")
    monkeypatch.setattr(check_ins, "ONE_STATEMENT_CHECK_IN", one_statement)
    objective = make_objective(world_a.org, make_cycle(world_a.org), title="Queued")
    kr = make_kr(objective, owner=world_a.member, target=10)
    settings.ROLLUP_INLINE = False
    published: list[int] = []
    monkeypatch.setattr(queue, "publish_rollups", lambda *, org_id: published.append(org_id))
    with transaction.atomic():
        services.key_result_check_in(key_result=kr, actor=world_a.member, value=5, confidence=6)
        services.key_result_check_in(key_result=kr, actor=world_a.member, value=6, confidence=6)
        rows = list(RollupPending.objects.values_list("organization_id", "objective_id"))
        assert rows == [(world_a.org.pk, objective.pk)] * 2  # one per check-in; the batch folds them
        queued = [e for e in connection.run_on_commit if isinstance(e[1], queue._Publish)]
        assert len(queued) == 1  # one batch for the organisation, after the commit
    assert Objective.objects.get(pk=objective.pk).progress == 0.0  # the worker's job, not the request's


# --- the unlocked check-in on PostgreSQL ------------------------------------------------------


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the unlocked one-statement check-in is PostgreSQL's")


@pytest.mark.django_db(transaction=True)
def test_an_api_check_in_on_postgresql_reads_once_and_writes_once_outside_any_transaction(
    world_a, api, settings, monkeypatch
):
    """Two round trips after the membership: the read takes no lock, the write commits by
    itself; no BEGIN, COMMIT or savepoint around them."""
    from django.test.utils import CaptureQueriesContext

    from objectives import queue

    _require_postgresql()
    settings.ROLLUP_INLINE = False
    published: list[int] = []
    monkeypatch.setattr(queue, "publish_rollups", lambda *, org_id: published.append(org_id))
    kr = make_kr(make_objective(world_a.org, make_cycle(world_a.org), title="Fast"), owner=world_a.member, target=10)
    client = api(world_a.member)
    url = f"/api/v1/orgs/{world_a.org.slug}/check-ins/"
    assert client.post(url, {"key_result": kr.pk, "value": 1, "confidence": 5}, format="json").status_code == 201
    published.clear()
    with CaptureQueriesContext(connection) as queries:
        r = client.post(url, {"key_result": kr.pk, "value": 4, "confidence": 6}, format="json")
    assert r.status_code == 201, r.content
    sql = [q["sql"] for q in queries.captured_queries]
    # membership, the key result (and whether a chat channel carries check-ins: none), the write
    assert len(sql) == 3, sql
    assert "FOR UPDATE" not in sql[1] and "xmin" in sql[1]
    assert sql[2].lstrip().startswith("WITH open AS (") and "xmin" in sql[2] and "FOR SHARE OF c" in sql[2]
    assert not any(s.split()[0].upper() in {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"} for s in sql), sql
    assert KeyResult.objects.get(pk=kr.pk).current_value == 4.0
    assert published == [world_a.org.pk]  # the committed check-in queued its rollup


def _check_in_meanwhile(kr: KeyResult, user, value: float) -> None:
    """Another request's check-in, on its own connection, committed before this one writes."""

    def run() -> None:
        try:
            services.key_result_check_in(
                key_result=KeyResult.objects.get(pk=kr.pk), actor=user, value=value, confidence=3
            )
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempts", [3, 1])
def test_a_check_in_that_lost_the_race_applies_on_top_of_the_winner(world_a, monkeypatch, settings, attempts):
    """Between the read and the write another check-in commits on the same key result: the
    write finds the row changed, writes nothing, and the check-in is applied again on the
    new values (read again, or with the row lock once the attempts are spent). Nothing is
    lost: the activity log's before/after values chain the two."""
    from objectives import queue

    _require_postgresql()
    settings.ROLLUP_INLINE = False  # the unlocked path (inline rollups take the row lock)
    monkeypatch.setattr(queue, "publish_rollups", lambda *, org_id: True)
    monkeypatch.setattr(check_ins, "OPTIMISTIC_ATTEMPTS", attempts)
    kr = make_kr(make_objective(world_a.org, make_cycle(world_a.org), title="Race"), owner=world_a.member, target=100)
    read = check_ins._read_for_check_in
    reads: list[bool] = []

    here = threading.get_ident()

    def read_then_lose_the_race(**kwargs):
        found = read(**kwargs)
        if threading.get_ident() != here:  # the other request's own read
            return found
        reads.append(kwargs["lock"])
        if len(reads) == 1:
            _check_in_meanwhile(kr, world_a.admin, 30)
        return found

    monkeypatch.setattr(check_ins, "_read_for_check_in", read_then_lose_the_race)
    membership = Membership.objects.select_related("organization", "user").get(
        organization=world_a.org, user=world_a.member
    )
    check_in = services.key_result_check_in_by_id(
        membership=membership, key_result_id=kr.pk, value=70, confidence=8, note="mine"
    )
    assert reads == ([False, False] if attempts > 1 else [False, True])
    stored = KeyResult.objects.get(pk=kr.pk)
    assert (stored.current_value, stored.confidence, stored.progress) == (70.0, 8, 0.7)
    assert check_in is not None and CheckIn.objects.filter(key_result=kr).count() == 2
    entries = list(
        ActivityEntry.objects.filter(target_id=kr.pk, verb="key_result.checked_in")
        .order_by("id")
        .values_list("before", "after")
    )
    assert [(b["current_value"], a["current_value"]) for b, a in entries] == [(0.0, 30.0), (30.0, 70.0)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_api_check_ins_on_one_key_result_lose_no_update(world_a, settings, monkeypatch):
    """Eight people check in on one key result at once, five times each: every check-in is
    stored once, and the activity log's before/after values form one unbroken chain from
    the start to the stored value (two check-ins applied on the same state would fork it)."""
    from objectives import queue
    from tests.concurrency import at_once

    _require_postgresql()
    settings.ROLLUP_INLINE = False  # the unlocked path (inline rollups take the row lock)
    monkeypatch.setattr(queue, "publish_rollups", lambda *, org_id: True)
    kr = make_kr(make_objective(world_a.org, make_cycle(world_a.org), title="Busy"), owner=world_a.member, target=10**6)
    membership = Membership.objects.select_related("organization", "user").get(
        organization=world_a.org, user=world_a.member
    )

    def worker(i: int) -> None:
        for step in range(5):
            services.key_result_check_in_by_id(
                membership=membership, key_result_id=kr.pk, value=1 + i * 10 + step, confidence=5
            )

    at_once(worker, 8)
    entries = ActivityEntry.objects.filter(target_id=kr.pk, verb="key_result.checked_in").values_list("before", "after")
    step = {b["current_value"]: a["current_value"] for b, a in entries}
    assert len(step) == len(entries) == 40  # no two check-ins started from the same value
    value, seen = 0.0, 0
    while value in step:
        value, seen = step[value], seen + 1
    assert seen == 40
    assert KeyResult.objects.get(pk=kr.pk).current_value == value
    assert CheckIn.objects.filter(key_result=kr).count() == 40


def test_the_check_in_read_knows_whether_a_chat_channel_carries_check_ins(world_a, monkeypatch):
    """On PostgreSQL the read of the key result also says whether any active channel of the
    organisation carries check-ins; when none does, the check-in announces nothing."""
    from notifications.models import Channel

    _require_postgresql()
    kr = make_kr(make_objective(world_a.org, make_cycle(world_a.org), title="Loud"), owner=world_a.member, target=10)

    def carried() -> bool:
        return check_ins._read_for_check_in(org_id=world_a.org.pk, key_result_id=kr.pk, lock=False)._check_ins_carried

    announced: list[str] = []
    monkeypatch.setattr(check_ins, "channel_publish", lambda **kw: announced.append(kw["event"]))
    assert carried() is False
    channel = Channel.objects.create(
        organization=world_a.org, kind="slack", name="Wins", url="https://hooks.example.test/x", events=["comment"]
    )
    assert carried() is False  # carries comments only
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=1, confidence=5)
    assert announced == []
    channel.events = ["comment", "check_in"]
    channel.save()
    assert carried() is True
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=2, confidence=5)
    assert announced == ["check_in"]
    channel.active = False
    channel.save()
    assert carried() is False  # paused
