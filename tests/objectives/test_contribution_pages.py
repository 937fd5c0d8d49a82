"""The pages of contributions: the objective page's "also contributes to…" with its search
box, and the alignment page drawing the graph with weights and shares."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from objectives import services
from objectives.models import Contribution, Objective
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


@pytest.fixture
def okrs(world_a):
    cycle = make_cycle(world_a.org)
    revenue = make_objective(world_a.org, cycle, title="Grow revenue", status="active")
    brand = make_objective(world_a.org, cycle, title="Build the brand", status="active")
    marketing = make_objective(
        world_a.org,
        cycle,
        title="Marketing plan",
        owner_type="team",
        team=world_a.team,
        parent=revenue,
        status="active",
    )
    make_kr(revenue, owner=world_a.member, target=10)
    make_kr(brand, owner=world_a.member, target=10, weight=3)
    make_kr(marketing, owner=world_a.member, target=100)
    return cycle, revenue, brand, marketing


def _url(objective: Objective, tail: str = "") -> str:
    return f"/o/alpha/okrs/{objective.pk}/contributions/{tail}"


def test_the_objective_page_asks_for_its_contributions(world_a, okrs, client):
    *_rest, marketing = okrs
    client.force_login(world_a.admin)
    page = client.get(f"/o/alpha/okrs/{marketing.pk}/").content.decode()
    assert f'hx-get="{_url(marketing)}"' in page


def test_search_then_add_then_remove_a_second_parent(world_a, okrs, client):
    _cycle, revenue, brand, marketing = okrs
    client.force_login(world_a.admin)
    found = client.get(_url(marketing), {"q": "brand"}, HTTP_HX_REQUEST="true").content.decode()
    assert f'value="o:{brand.pk}"' in found
    assert f'value="o:{revenue.pk}"' not in found  # its primary parent is not offered again
    r = client.post(_url(marketing, "add/"), {"target": f"o:{brand.pk}", "weight": "2", "q": "brand"})
    assert r.status_code == 302
    link = Contribution.objects.get(child=marketing)
    assert (link.parent_id, link.weight) == (brand.pk, 2)
    section = client.get(_url(marketing), HTTP_HX_REQUEST="true").content.decode()
    assert "Build the brand" in section and "weight 2" in section
    r = client.post(_url(marketing, f"{link.pk}/remove/"), HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and not Contribution.objects.exists()


def test_a_refused_contribution_keeps_what_was_typed_and_says_why(world_a, okrs, client):
    _cycle, revenue, brand, marketing = okrs
    client.force_login(world_a.admin)
    r = client.post(_url(marketing, "add/"), {"target": f"o:{brand.pk}", "weight": "0", "q": "brand"})
    assert r.status_code == 400
    page = r.content.decode()
    assert "The weight must be more than 0 and at most 10." in page
    assert 'name="weight" value="0"' in page and 'name="q" value="brand"' in page
    services.contribution_create(child=brand, actor=None, parent=marketing)
    r = client.post(_url(revenue, "add/"), {"target": f"o:{brand.pk}", "weight": "1"}, HTTP_HX_REQUEST="true")
    assert "This would close a loop" in r.content.decode()
    assert Contribution.objects.count() == 1


def test_a_viewer_may_read_but_not_add_and_another_organisations_target_is_404(world_a, world_b, okrs, client):
    _cycle, revenue, brand, marketing = okrs
    client.force_login(world_a.viewer)
    assert client.get(_url(marketing)).status_code == 200
    assert client.post(_url(marketing, "add/"), {"target": f"o:{brand.pk}"}).status_code == 403
    client.force_login(world_a.admin)
    foreign = make_objective(world_b.org, make_cycle(world_b.org), title="Theirs", status="active")
    assert client.post(_url(marketing, "add/"), {"target": f"o:{foreign.pk}"}).status_code == 404
    assert not Contribution.objects.exists()


def test_the_alignment_page_draws_both_parents_with_weights_and_shares(world_a, okrs, client):
    _cycle, revenue, brand, marketing = okrs
    services.contribution_create(child=marketing, actor=None, parent=brand, weight=1)
    client.force_login(world_a.member)
    page = client.get(f"/o/alpha/okrs/{marketing.pk}/alignment/").content.decode()
    assert "Grow revenue" in page and "Build the brand" in page
    # Revenue counts its key result (1) and Marketing (1): 50 %; Brand its key result (3) and the link (1): 25 %.
    assert "contributes 50%" in page and "contributes 25%" in page
    below = client.get(f"/o/alpha/okrs/{brand.pk}/alignment/").content.decode()
    assert "Marketing plan" in below and "contributes 25%" in below


def _grow(org, cycle, focus: Objective, n: int) -> None:
    children = Objective.objects.bulk_create(
        [
            Objective(organization=org, cycle=cycle, title=f"C{i}", owner_type="company", status="active", weight=1.0)
            for i in range(n)
        ]
    )
    Contribution.objects.bulk_create(
        [Contribution(organization=org, child=c, parent=focus, weight=1.0 + i % 3) for i, c in enumerate(children)]
    )


def test_the_alignment_page_query_count_is_the_same_at_10_and_500_contributions(world_a, okrs, client):
    cycle, revenue, brand, marketing = okrs
    services.contribution_create(child=marketing, actor=None, parent=brand)
    client.force_login(world_a.member)
    url = f"/o/alpha/okrs/{marketing.pk}/alignment/"
    _grow(world_a.org, cycle, marketing, 9)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(world_a.org, cycle, marketing, 490)
    assert Contribution.objects.count() == 500
    with CaptureQueriesContext(connection) as large:
        page = client.get(url).content.decode()
    assert "C489" in page
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_cascade_shows_an_objective_once_under_its_primary_parent_with_its_other_parents_counted(
    world_a, okrs, client
):
    cycle, revenue, brand, marketing = okrs
    other = make_objective(world_a.org, cycle, title="Hire well", status="active")
    services.contribution_create(child=marketing, actor=None, parent=brand)
    services.contribution_create(child=marketing, actor=None, parent=other)
    client.force_login(world_a.member)
    page = client.get("/o/alpha/okrs/cascade/", {"cycle": cycle.pk}).content.decode()
    assert page.count(">Marketing plan</a>") == 1
    assert "also contributes to 2 more" in page
    assert page.index("Grow revenue") < page.index("Marketing plan") < page.index("also contributes to 2 more")


def test_the_strategy_map_and_the_scorecard_show_progress_that_counts_contributions(world_a, okrs, client):
    from tests.scorecards.sc_factories import company_card

    cycle, revenue, brand, marketing = okrs
    services.objective_update(objective=brand, actor=None, perspective="customer")
    services.contribution_create(child=marketing, actor=None, parent=brand, weight=1)
    kr = marketing.key_results.get()
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=100, confidence=8)
    assert Objective.objects.get(pk=brand.pk).progress == pytest.approx(0.25)  # KR 0 × 3, Marketing 1 × 1
    card = company_card(world_a.org)
    client.force_login(world_a.member)
    for tail in ("", "map/"):
        page = client.get(f"/o/alpha/scorecards/{card.pk}/{tail}", {"cycle": cycle.pk}).content.decode()
        assert "Build the brand" in page and "25%" in page


def test_an_aligned_key_result_shows_what_feeds_it_and_takes_no_check_in_on_the_pages(world_a, okrs, client):
    _cycle, revenue, brand, marketing = okrs
    aligned = services.key_result_create(
        objective=brand, actor=None, owner=world_a.member, title="Campaigns land", kind="aligned"
    )
    services.contribution_create(child=marketing, actor=None, key_result=aligned, weight=2)
    client.force_login(world_a.member)
    page = client.get(f"/o/alpha/okrs/{brand.pk}/").content.decode()
    row = page.split(f'id="kr-{aligned.pk}"', 1)[1].split("</article>", 1)[0]
    assert "Fed by" in row and "Marketing plan" in row and "weight 2" in row
    assert "checkin-form" not in row
    mine = client.get("/o/alpha/check-ins/").content.decode()
    assert f"kr{aligned.pk}-value" not in mine and "Campaigns land" not in mine
