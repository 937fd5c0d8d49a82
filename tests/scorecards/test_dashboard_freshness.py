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
