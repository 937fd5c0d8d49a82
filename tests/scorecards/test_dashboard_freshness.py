"""The dashboard is cached (pages and API) under the organisation's data version; a
committed change is in the very next answer. These tests commit, with the documents cache on."""

from __future__ import annotations

import pytest

from objectives import services
from tests.kpis.kpi_factories import record
from tests.scorecards.board import build_board

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_a_check_in_is_in_the_next_dashboard(world_a, api, client, documents_cache):
    board = build_board(world_a)
    reader = api(world_a.viewer)
    first = reader.get("/api/v1/orgs/alpha/dashboard/")
    assert first.json()["company_progress"] == pytest.approx(0.55)
    again = reader.get("/api/v1/orgs/alpha/dashboard/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304  # unchanged: not even rebuilt
    client.force_login(world_a.viewer)
    assert "55%" in client.get("/o/alpha/").content.decode()
    assert len(documents_cache._cache) >= 2  # the API's bytes and the page's document

    services.key_result_check_in(key_result=board.kr2, actor=world_a.manager, value=10, confidence=9)

    after = reader.get("/api/v1/orgs/alpha/dashboard/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after["ETag"] != first["ETag"]
    assert after.json()["company_progress"] == pytest.approx(0.8)  # (60 % + 100 %) / 2
    assert board.kr2.pk not in [k["id"] for k in after.json()["needs_attention"]["stale_key_results"]]
    html = client.get("/o/alpha/").content.decode()
    assert "80%" in html and "55%" not in html.split('id="company-progress"', 1)[1].split("</article>", 1)[0]


def test_a_red_measurement_is_in_the_next_dashboard(world_a, api, documents_cache):
    board = build_board(world_a)
    reader = api(world_a.admin)
    assert reader.get("/api/v1/orgs/alpha/dashboard/").json()["kpi_totals"]["red"] == 1
    record(board.green, board.green.measurements.get().period, 10, today=board.today)  # the board is of the real today
    assert reader.get("/api/v1/orgs/alpha/dashboard/").json()["kpi_totals"]["red"] == 2


PANELS = ("pace", "teams", "movers", "attention", "kpi-perspectives")


def _panel(html: str, panel_id: str) -> str:
    start = html.index(f'id="{panel_id}"')
    return html[start : html.index("</section>", start)]


def _panel_entries(cache) -> int:
    return len([k for k in cache._cache if "template.cache.dashboard_panels" in k])


def test_the_cached_panels_follow_the_data_the_language_and_the_query(world_a, client, documents_cache):
    board = build_board(world_a)
    client.force_login(world_a.manager)
    before = client.get("/o/alpha/").content.decode()
    assert board.kr2.title in _panel(before, "attention")  # no check-in for 20 days
    assert _panel_entries(documents_cache)  # the panels' HTML is kept

    services.key_result_check_in(key_result=board.kr2, actor=world_a.manager, value=10, confidence=9)
    after = client.get("/o/alpha/").content.decode()
    assert board.kr2.title not in _panel(after, "attention")
    assert "80%" in _panel(after, "pace")  # the pace table's last day is today's company progress

    world_a.manager.language = "vi"
    world_a.manager.save(update_fields=["language"])
    vietnamese = client.get("/o/alpha/").content.decode()
    assert "Nhịp độ" in _panel(vietnamese, "pace") and "Pace" not in _panel(vietnamese, "pace")

    typed = client.get("/o/alpha/?since=2999-01-01").content.decode()  # refused, and shown as typed
    assert 'value="2999-01-01"' in _panel(typed, "movers")
    assert 'value="2999-01-01"' not in _panel(client.get("/o/alpha/").content.decode(), "movers")


def test_the_cached_panels_are_shared_by_people_not_by_organisations(world_a, world_b, client, documents_cache):
    build_board(world_a)
    build_board(world_b)
    client.force_login(world_a.manager)
    first = client.get("/o/alpha/").content.decode()
    entries = _panel_entries(documents_cache)
    # The same page again, or with a parameter the page does not use: the same entry, the same HTML.
    again = client.get("/o/alpha/?utm_source=mail").content.decode()
    assert _panel_entries(documents_cache) == entries
    assert [_panel(again, p) for p in PANELS] == [_panel(first, p) for p in PANELS]
    assert "Member alpha" in _panel(first, "attention")  # the owner of an objective at risk

    client.force_login(world_a.viewer)  # another person of the same organisation: the same panels
    viewer = client.get("/o/alpha/").content.decode()
    assert _panel(viewer, "attention") == _panel(first, "attention") and _panel_entries(documents_cache) == entries

    client.force_login(world_b.manager)  # another organisation: its own
    beta = _panel(client.get("/o/beta/").content.decode(), "attention")
    assert "Member beta" in beta and "Member alpha" not in beta and _panel_entries(documents_cache) == entries + 1
