"""An objective's alignment: its ancestors up to the company and everything aligned below."""

from __future__ import annotations

from datetime import date

import pytest

from objectives import services
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(world_a):
    cycle = make_cycle(world_a.org)
    company = make_objective(world_a.org, cycle, title="Win the market")
    team = make_objective(
        world_a.org, cycle, title="Own the channel", owner_type="team", team=world_a.team, parent=company
    )
    person = make_objective(
        world_a.org, cycle, title="Ship the campaign", owner_type="person", user=world_a.member, parent=team
    )
    deeper = make_objective(
        world_a.org,
        cycle,
        title="Write the playbook",
        owner_type="person",
        user=world_a.manager,
        parent=person,
        status="active",  # a draft would not count in its parent
    )
    kr = make_kr(person, owner=world_a.member, target=10)
    make_kr(person, owner=world_a.member, target=10)
    services.objective_set_status(objective=person, actor=world_a.admin, status="active")
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=5, confidence=2)
    side = make_objective(world_a.org, cycle, title="Unrelated", owner_type="team", team=world_a.other_team)
    return cycle, company, team, person, deeper, side


def test_alignment_shows_the_ancestors_then_the_objective_and_what_is_below(world_a, client, chain):
    _cycle, company, team, person, deeper, side = chain
    client.force_login(world_a.viewer)
    r = client.get(f"/o/alpha/okrs/{person.pk}/alignment/")
    assert r.status_code == 200
    html = r.content.decode().split("<main", 1)[1].split("</nav>", 1)[1]  # after the breadcrumb
    order = [html.index(t) for t in ("Win the market", "Own the channel", "Ship the campaign", "Write the playbook")]
    assert order == sorted(order)
    assert "Unrelated" not in html
    assert "alignment-focus" in html and "Off track" in html  # confidence 2, at each level its own health
    assert [a["id"] for a in r.context["ancestors"]] == [company.pk, team.pk]
    assert r.context["focus"]["progress"] == pytest.approx(1 / 6)  # 50 %, 0 % and the aligned child at 0 %
    assert [c["node"]["id"] for c in r.context["focus"]["links"]] == [deeper.pk]


def test_alignment_of_a_company_objective_says_it_is_the_top(world_a, client, chain):
    company = chain[1]
    client.force_login(world_a.admin)
    html = client.get(f"/o/alpha/okrs/{company.pk}/alignment/").content.decode()
    assert "sits at the top of the cascade" in html and "Write the playbook" in html


def test_alignment_crosses_cycles_upwards(world_a, client, chain):
    quarter = chain[0]
    year = make_cycle(world_a.org, name="FY 2026", start=date(2026, 1, 1), days=365)
    yearly = make_objective(world_a.org, year, title="The year's ambition")
    child = make_objective(world_a.org, quarter, title="Carry on", owner_type="team", team=world_a.team, parent=yearly)
    client.force_login(world_a.admin)
    r = client.get(f"/o/alpha/okrs/{child.pk}/alignment/")
    assert [a["id"] for a in r.context["ancestors"]] == [yearly.pk]
    assert "The year&#x27;s ambition" in r.content.decode()


def test_alignment_is_linked_from_the_objective_page(world_a, client, chain):
    person = chain[3]
    client.force_login(world_a.member)
    assert f"/o/alpha/okrs/{person.pk}/alignment/" in client.get(f"/o/alpha/okrs/{person.pk}/").content.decode()


def test_alignment_of_another_organisations_objective_is_404(world_a, world_b, client):
    cycle = make_cycle(world_b.org)
    theirs = make_objective(world_b.org, cycle, title="Theirs")
    client.force_login(world_a.admin)
    assert client.get(f"/o/alpha/okrs/{theirs.pk}/alignment/").status_code == 404
    assert client.get("/o/alpha/okrs/999999/alignment/").status_code == 404


def test_alignment_query_count_does_not_grow_with_the_tree(world_a, client, chain, django_assert_max_num_queries):
    cycle, company, *_ = chain
    client.force_login(world_a.admin)
    with django_assert_max_num_queries(16) as small:
        client.get(f"/o/alpha/okrs/{company.pk}/alignment/")
    parent = company
    for i in range(30):
        parent = make_objective(
            world_a.org, cycle, title=f"Level {i}", owner_type="team", team=world_a.team, parent=parent
        )
    with django_assert_max_num_queries(16) as large:
        html = client.get(f"/o/alpha/okrs/{company.pk}/alignment/").content.decode()
    assert "Level 29" in html
    assert len(large.captured_queries) == len(small.captured_queries)
