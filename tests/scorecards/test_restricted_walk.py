"""A walk over every aggregate document (DESIGN §3, Visibility; issue "Private but truthful"):
restricted objectives, key results, check-in notes, a KPI and a person met only on them carry
marker strings, and no marker may reach a person who may not see them — while each document
does show some of them to a person who may (so no document passes by showing nothing)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core import mail
from django.urls import reverse

from conversations import services as talk
from notifications.models import Channel, ChannelEvent, OutboxMessage
from objectives import services as okr
from objectives.contribution import Contribution
from objectives.models import KeyResult, Objective
from reminders.digests import send_digests
from tests.objectives.okr_factories import make_kr, make_objective
from tests.scorecards.restricted_world import MARKERS, build
from tests.scorecards.sc_factories import company_card

pytestmark = pytest.mark.django_db

ALL_EVENTS = [ChannelEvent.CHECK_IN, ChannelEvent.COMMENT, ChannelEvent.WINS]


@pytest.fixture
def rw(world_a, django_capture_on_commit_callbacks):
    w = world_a
    with django_capture_on_commit_callbacks(execute=True):
        Channel.objects.create(organization=w.org, kind="webhook", name="open", url="https://hooks.test/a",
                               secret="s", events=ALL_EVENTS)  # fmt: skip
        Channel.objects.create(organization=w.org, kind="slack", name="safe", url="https://hooks.test/b",
                               secret="s", events=ALL_EVENTS, restricted_safe=True)  # fmt: skip
        world = build(w)
        # The member holds a key result in the private objective without seeing it: their To do,
        # their Monday e-mail and their activity must not name it.
        mine = make_kr(world.private, title=MARKERS["kr_title"] + " (member)", owner=w.member)
        KeyResult.objects.filter(pk=mine.pk).update(progress=0.1)
        okr.key_result_check_in(key_result=world.kr, actor=world.secret_owner, value=9, confidence=3,
                                note=MARKERS["note"] + " again")  # fmt: skip
        talk.comment_create(org=w.org, actor=w.admin, objective=world.private,
                            body=f"{MARKERS['note']} @{w.admin.email}")  # fmt: skip
    # The member's own private objective feeds the private company one, which they may not see.
    world.mine = make_objective(w.org, world.cycle, title="My own plan", owner_type="person", user=w.member)
    Objective.objects.filter(pk=world.mine.pk).update(visibility="private")
    Contribution.objects.create(organization=w.org, child=world.mine, parent=world.root, weight=1)
    # An aligned key result of the open company objective is fed by the private objective.
    aligned = KeyResult.objects.create(organization=w.org, objective=world.company, title="Partnerships",
                                       kind="aligned", owner=w.admin, start_value=0, target_value=1,
                                       current_value=0)  # fmt: skip
    Contribution.objects.create(organization=w.org, child=world.private, key_result=aligned, weight=1)
    world.kpi.perspective = "financial"
    world.kpi.owner_type, world.kpi.owner_user = "company", None
    world.kpi.save(update_fields=["perspective", "owner_type", "owner_user"])
    world.card = company_card(w.org)
    return world


def _markers_in(body: str) -> list[str]:
    return [name for name, marker in MARKERS.items() if marker in body]


def _pages(w, rw) -> dict[str, Callable[[object], str]]:
    slug = w.org.slug

    def get(url: str) -> Callable[[object], str]:
        def read(client) -> str:
            r = client.get(url)
            assert r.status_code == 200, (url, r.status_code)
            return (b"".join(r.streaming_content) if r.streaming else r.content).decode()

        return read

    api = f"/api/v1/orgs/{slug}"
    return {
        "dashboard page": get(reverse("scorecards:dashboard", args=[slug]) + f"?cycle={rw.cycle.pk}"),
        "dashboard API": get(f"{api}/dashboard/?cycle={rw.cycle.pk}"),
        "cascade page": get(reverse("scorecards:cascade", args=[slug]) + f"?cycle={rw.cycle.pk}"),
        "cascade API": get(f"{api}/cascade/?cycle={rw.cycle.pk}"),
        "alignment page": get(reverse("scorecards:alignment", args=[slug, rw.company.pk])),
        "scorecard page": get(reverse("scorecards:scorecard", args=[slug, rw.card.pk])),
        "strategy map": get(reverse("scorecards:scorecard_map", args=[slug, rw.card.pk])),
        "scorecard export": get(reverse("scorecards:scorecard_export_csv", args=[slug, rw.card.pk])),
        "cycle report (statistics)": get(reverse("objectives:cycle_report", args=[slug, rw.cycle.pk])),
        "KPI values export": get(reverse("kpis:export", args=[slug])),
        "cycle export": get(reverse("objectives:cycle_export_csv", args=[slug, rw.cycle.pk])),
        "forecast API": get(f"{api}/forecast/?cycle={rw.cycle.pk}"),
        "activity page": get(reverse("activity:log", args=[slug])),
        "to do": get(reverse("inbox:inbox", args=[slug])),
        "coach findings": get(reverse("objectives:quality", args=[slug]) + f"?cycle={rw.cycle.pk}"),
        "objective page (what feeds it)": get(reverse("objectives:detail", args=[slug, rw.company.pk])),
        "what one's own objective feeds": get(reverse("objectives:contributions", args=[slug, rw.mine.pk])),
        "search (what it could feed)": get(
            reverse("objectives:contributions", args=[slug, rw.open_child.pk]) + "?q=Zqx"
        ),
    }


def test_no_document_names_what_the_reader_may_not_see(client, world_a, rw):
    """The member may see none of the restricted things; the admin sees them all."""
    pages = _pages(world_a, rw)
    leaks, silent = {}, []
    for name, read in pages.items():
        client.force_login(world_a.member)
        found = _markers_in(read(client))
        if found:
            leaks[name] = found
        client.force_login(world_a.admin)
        if not _markers_in(read(client)):
            silent.append(name)
    assert leaks == {}
    assert silent == []


def test_the_digests_name_nothing_their_reader_may_not_see(world_a, rw, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(org=world_a.org, kinds=["plan_week", "team_week", "wins"])

    def bodies(user) -> str:
        found = [m for m in mail.outbox if m.to == [user.email]]
        return "\n".join(m.body + "".join(str(a[0]) for a in getattr(m, "alternatives", [])) for m in found)

    readers = (world_a.member, world_a.manager, world_a.viewer)
    assert {r.email: _markers_in(bodies(r)) for r in readers} == {r.email: [] for r in readers}
    assert {"kr_title", "private_title"} <= set(_markers_in(bodies(world_a.admin)))


def test_restricted_events_reach_only_channels_marked_safe(world_a, rw, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(org=world_a.org, kinds=["wins"])
    posts = OutboxMessage.objects.filter(kind="channel")
    open_ = "\n".join(str(p.payload) for p in posts if p.channel.name == "open")
    safe = "\n".join(str(p.payload) for p in posts if p.channel.name == "safe")
    assert _markers_in(open_) == []
    assert {"kr_title", "note", "private_title"} <= set(_markers_in(safe))
