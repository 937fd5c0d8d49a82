"""Small things a person notices in the first hour (issue "The first hour feels finished", 7):
the acknowledge card lists every key result its title counts, currency ones included, with
units; milestones read done / not done; check-in history keeps units; English plurals; movers
leave out what did not move; the objective page shows its percentage once; the Edit page does
not promise a next screen; the XLSX export formats progress as a percentage in columns that fit."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from types import SimpleNamespace

from django.utils import translation
from openpyxl import load_workbook

from core.numbers import format_quantity
from objectives import services as okr
from objectives.models import KeyResult
from orgs.models import Membership
from reminders.digests import movers
from reminders.inbox import inbox
from rituals import services as ritual_services
from scorecards.dashboard import panels
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _ack(world_a):
    membership = Membership.objects.get(organization=world_a.org, user=world_a.manager)
    return next(i for i in inbox(org=world_a.org, membership=membership, now=NOW) if i.kind == "acknowledge")


def test_the_acknowledge_card_lists_every_key_result_its_title_counts(world_a, thread, web):
    revenue = make_kr(thread.objective, title="Revenue from distributors", owner=thread.sam, target=3_000_000)
    KeyResult.objects.filter(pk=revenue.pk).update(kind="currency", unit="VND")
    revenue.refresh_from_db()
    second = thread.objective.key_results.get(title="Open 2 warehouses")
    for kr, value in ((thread.kr, 4), (thread.kr, 5), (second, 1), (revenue, 1_500_000)):
        okr.key_result_check_in(key_result=kr, actor=thread.sam, value=value, confidence=7, at=NOW)
    for i in range(4):  # more check-ins than the card used to show
        okr.key_result_check_in(key_result=thread.kr, actor=thread.sam, value=6 + i, confidence=7, at=NOW)
    item = _ack(world_a)
    assert item.title.startswith("Sam Tran checked in 3 key results")
    assert [ci.key_result.title for ci in item.latest_check_ins] == [
        "Sign 10 distributors",
        "Revenue from distributors",
        "Open 2 warehouses",
    ]
    page = web(world_a.manager).get("/o/alpha/todo/").content.decode()
    card = page[page.index("checked in 3 key results") :]
    card = card[: card.index("</form>")]
    assert card.count("<li>") == 3 and "Revenue from distributors" in card
    assert "1,500,000\xa0VND" in card and "9" in card


def test_milestones_read_done_or_not_done():
    assert format_quantity(1, kind="milestone") == "done"
    assert format_quantity(0, kind="milestone") == "not done"
    with translation.override("vi"):
        assert format_quantity(1, kind="milestone") == "hoàn thành"
        assert format_quantity(0, kind="milestone") == "chưa hoàn thành"


def test_the_check_in_history_keeps_units_and_milestones_read_done(world_a, thread, web):
    KeyResult.objects.filter(pk=thread.kr.pk).update(unit="distributors")
    launch = make_kr(thread.objective, title="Launch the portal", owner=thread.sam, kind="milestone", target=1)
    okr.key_result_check_in(key_result=launch, actor=thread.sam, value=1, confidence=9)
    page = web(world_a.member).get(f"/o/alpha/okrs/{thread.objective.pk}/").content.decode()
    history = page[page.index('id="history"') if 'id="history"' in page else page.index("Check-in history") :]
    assert "<strong>3\xa0distributors</strong>" in history
    assert "<strong>done</strong>" in history and "→ 1" not in page


def test_the_objective_page_shows_its_percentage_once(world_a, thread, web):
    page = web(world_a.member).get(f"/o/alpha/okrs/{thread.objective.pk}/").content.decode()
    start = page.index('class="objective-head"')
    head = page[start : page.index("</div>\n</div>", start)]
    assert len(re.findall(r">\d+%<", head)) == 1, head  # the big number, not again under the bar


def test_the_edit_page_does_not_promise_a_next_screen(world_a, thread, web):
    client = web(world_a.admin)
    assert "next screen" in client.get("/o/alpha/okrs/new/").content.decode()
    edit = client.get(f"/o/alpha/okrs/{thread.objective.pk}/edit/").content.decode()
    assert "next screen" not in edit and "edited on the objective's page" in edit


def test_carrying_over_one_objective_says_so_in_the_singular(world_a, thread, web):
    ritual_services.cycle_close(cycle=thread.objective.cycle, actor=world_a.admin, force=True)
    r = web(world_a.admin).post(
        f"/o/alpha/cycles/{thread.objective.cycle_id}/carry-over/",
        {"objective": [thread.objective.pk], "target": "backlog"},
        follow=True,
    )
    assert "1 objective carried over into the backlog as a draft." in r.content.decode()


def test_movers_leave_out_what_did_not_move(world_a, thread):
    big = make_kr(thread.objective, title="Calls made", owner=thread.sam, target=10_000)
    okr.key_result_check_in(key_result=big, actor=thread.sam, value=20, confidence=7, at=NOW)  # 0.2 %: "+0%"
    okr.key_result_check_in(key_result=thread.kr, actor=thread.sam, value=5, confidence=7, at=NOW)  # +20 %
    titles = [m.key_result.title for m in movers(org=world_a.org, since=datetime(2026, 11, 30, tzinfo=UTC))]
    assert "Sign 10 distributors" in titles and "Calls made" not in titles
    row = SimpleNamespace(id=1, title="Grow", progress=0.5, progress_then=0.498)
    krs = [
        {"id": 7, "title": "Moved", "objective_id": 1, "kpi_id": None, "progress_since": 0.1, "progress": 0.3},
        {"id": 8, "title": "Still", "objective_id": 1, "kpi_id": None, "progress_since": 0.4, "progress": 0.402},
    ]
    got = panels.movers(objectives=[row], krs=krs)
    assert [m["title"] for m in got["up"]] == ["Moved"] and got["down"] == []


def test_the_xlsx_export_formats_progress_as_a_percentage_in_columns_that_fit(world_a, web):
    cycle = make_cycle(world_a.org)
    o = make_objective(world_a.org, cycle, title="Delight customers on every channel, every day of the quarter")
    make_kr(o, title="Raise NPS", owner=world_a.member, target=10)
    r = web(world_a.admin).get(f"/o/alpha/cycles/{cycle.pk}/export.xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in ws[1]]
    progress = ws.cell(row=2, column=header.index("Objective progress") + 1)
    assert progress.number_format == "0%" and progress.value == 0
    title_col = next(c for c in ws[2] if c.value == o.title).column_letter
    assert ws.column_dimensions[title_col].width >= len(o.title)
    for cell in ws[1]:
        assert ws.column_dimensions[cell.column_letter].width >= len(cell.value)


def test_english_plurals_on_the_dashboard(world_a, web):
    from scorecards.templatetags.executive import pts

    assert (pts(0.01), pts(-0.02)) == ("+1 pt", "\u22122 pts")
    cycle = make_cycle(world_a.org)
    o = make_objective(world_a.org, cycle, title="Delight customers")
    make_kr(o, title="Raise NPS", owner=world_a.member, target=10)
    make_kr(o, title="Answer faster", owner=world_a.member, target=10)
    okr.objective_set_status(objective=o, actor=world_a.admin, status="active")
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    page = web(world_a.admin).get("/o/alpha/").content.decode()
    assert "0 of 1 objective achieved" in page, page[page.find("closed-cycle") :][:600]
