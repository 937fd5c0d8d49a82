"""The OKR pages, as a person uses them."""

from __future__ import annotations

import pytest

from cycles.models import Cycle
from objectives.models import CheckIn, KeyResult, Objective
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


@pytest.fixture
def cycle(world_a):
    return make_cycle(world_a.org)


def test_manager_plans_an_objective_with_three_key_results_and_a_member_checks_in(world_a, cycle, client):
    client.force_login(world_a.manager)
    # 1. The form, pre-set to a team objective of the manager's team.
    page = client.get(f"/o/alpha/okrs/new/?cycle={cycle.pk}")
    assert page.status_code == 200
    r = client.post(
        "/o/alpha/okrs/new/",
        {
            "title": "Become the go-to brand",
            "description": "",
            "cycle": cycle.pk,
            "owner_type": "team",
            "owner_team": world_a.team.pk,
            "owner_user": "",
            "parent": "",
            "weight": 1,
        },
    )
    assert r.status_code == 302
    objective = Objective.objects.get(title="Become the go-to brand")
    assert r["Location"] == f"/o/alpha/okrs/{objective.pk}/"
    # 2. Key results added inline with htmx: each answer is the refreshed key-result section.
    for i, (title, target) in enumerate([("Qualified leads", 90), ("Case studies", 12), ("Subscribers", 5000)]):
        r = client.post(
            f"/o/alpha/okrs/{objective.pk}/key-results/",
            {
                "title": title,
                "owner": world_a.member.pk,
                "kind": "number",
                "unit": "",
                "start_value": 0,
                "target_value": target,
                "weight": 1,
            },
            HTTP_HX_REQUEST="true",
        )
        assert r.status_code == 200
        html = r.content.decode()
        assert "<html" not in html and title in html
        assert f"{i + 1}/5" in html
    # 3. Activate.
    r = client.post(f"/o/alpha/okrs/{objective.pk}/status/", {"status": "active"})
    assert r.status_code == 302
    objective.refresh_from_db()
    assert objective.status == "active" and objective.key_results.count() == 3
    # 4. The member's weekly check-in: every key result on one screen, one submit.
    client.force_login(world_a.member)
    page = client.get("/o/alpha/check-ins/").content.decode()
    krs = list(objective.key_results.order_by("position"))
    for kr in krs:
        assert kr.title in page and f'name="kr{kr.pk}-value"' in page
    data = {}
    for kr, value in zip(krs, [45, 6, 1000], strict=True):
        data |= {f"kr{kr.pk}-value": value, f"kr{kr.pk}-confidence": 7, f"kr{kr.pk}-note": "good week"}
    r = client.post("/o/alpha/check-ins/", data)
    assert r.status_code == 302
    assert CheckIn.objects.count() == 3
    objective.refresh_from_db()
    assert objective.progress == pytest.approx((0.5 + 0.5 + 0.2) / 3)
    page = client.get(f"/o/alpha/okrs/{objective.pk}/").content.decode()
    assert "good week" in page and "kr-chart-data" in page


def test_key_result_errors_come_back_in_the_htmx_form_with_the_input_kept(world_a, cycle, client):
    objective = make_objective(world_a.org, cycle, owner_type="team", team=world_a.team)
    client.force_login(world_a.manager)
    r = client.post(
        f"/o/alpha/okrs/{objective.pk}/key-results/",
        {
            "title": "Same start and target",
            "owner": world_a.member.pk,
            "kind": "number",
            "start_value": 5,
            "target_value": 5,
            "weight": 1,
        },
        HTTP_HX_REQUEST="true",
    )
    html = r.content.decode()
    assert r.status_code == 200 and "must differ" in html and 'value="Same start and target"' in html
    assert not KeyResult.objects.exists()


def test_my_check_ins_keeps_bad_rows_and_saves_good_ones(world_a, cycle, client):
    objective = make_objective(world_a.org, cycle, user=world_a.member, owner_type="person")
    good = make_kr(objective, owner=world_a.member, title="Good", target=10)
    bad = make_kr(objective, owner=world_a.member, title="Bad", target=10)
    untouched = make_kr(objective, owner=world_a.member, title="Untouched", target=10)
    client.force_login(world_a.member)
    r = client.post(
        "/o/alpha/check-ins/",
        {
            f"kr{good.pk}-value": 4,
            f"kr{good.pk}-confidence": 8,
            f"kr{bad.pk}-value": "lots",
            f"kr{bad.pk}-confidence": 12,
            f"kr{untouched.pk}-value": 0,
            f"kr{untouched.pk}-confidence": 5,
        },
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert 'value="lots"' in html  # what was typed is kept
    assert list(CheckIn.objects.values_list("key_result_id", flat=True)) == [good.pk]


def test_check_in_on_someone_elses_key_result_is_forbidden(world_a, cycle, client):
    objective = make_objective(world_a.org, cycle, owner_type="team", team=world_a.other_team)
    kr = make_kr(objective, owner=world_a.admin)
    client.force_login(world_a.member)
    r = client.post(f"/o/alpha/key-results/{kr.pk}/check-in/", {"value": 3, "confidence": 5})
    assert r.status_code == 403
    assert not CheckIn.objects.exists()


def test_htmx_check_in_returns_a_fragment(world_a, cycle, client):
    objective = make_objective(world_a.org, cycle, user=world_a.member, owner_type="person")
    kr = make_kr(objective, owner=world_a.member, target=10)
    client.force_login(world_a.member)
    r = client.post(f"/o/alpha/key-results/{kr.pk}/check-in/", {"value": 3, "confidence": 5}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "<html" not in r.content.decode() and "30%" in r.content.decode()
    r = client.post(f"/o/alpha/key-results/{kr.pk}/check-in/", {"value": "x", "confidence": 5}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400


def test_members_and_viewers_are_limited_on_pages(world_a, cycle, client):
    company = make_objective(world_a.org, cycle, title="Company goal")
    client.force_login(world_a.viewer)
    assert client.get(f"/o/alpha/okrs/{company.pk}/").status_code == 200  # everyone reads
    assert (
        client.post(
            "/o/alpha/okrs/new/",
            {"title": "x", "cycle": cycle.pk, "owner_type": "person", "owner_user": world_a.viewer.pk, "weight": 1},
        ).status_code
        == 403
    )
    client.force_login(world_a.member)
    assert client.get(f"/o/alpha/okrs/{company.pk}/edit/").status_code == 403
    assert client.post(f"/o/alpha/okrs/{company.pk}/delete/").status_code == 403
    r = client.post(
        "/o/alpha/okrs/new/",
        {"title": "Team goal", "cycle": cycle.pk, "owner_type": "team", "owner_team": world_a.team.pk, "weight": 1},
    )
    assert r.status_code == 403
    r = client.post(
        "/o/alpha/okrs/new/",
        {"title": "My goal", "cycle": cycle.pk, "owner_type": "person", "owner_user": world_a.member.pk, "weight": 1},
    )
    assert r.status_code == 302
    assert Objective.objects.filter(title="My goal", owner_user=world_a.member).exists()


def test_delete_and_cancel_ask_first(world_a, cycle, client):
    objective = make_objective(world_a.org, cycle, krs=2, kr_owner=world_a.member)
    client.force_login(world_a.admin)
    page = client.get(f"/o/alpha/okrs/{objective.pk}/delete/")
    assert page.status_code == 200 and "Delete the objective" in page.content.decode()
    assert Objective.objects.filter(pk=objective.pk).exists()
    client.post(f"/o/alpha/okrs/{objective.pk}/status/", {"status": "cancelled"})
    objective.refresh_from_db()
    assert objective.status == "cancelled"
    assert client.post(f"/o/alpha/okrs/{objective.pk}/delete/").status_code == 302
    assert not Objective.objects.filter(pk=objective.pk).exists()


def test_cycle_page_groups_company_team_person(world_a, cycle, client):
    make_objective(world_a.org, cycle, title="Company objective")
    make_objective(world_a.org, cycle, title="Team objective", owner_type="team", team=world_a.team)
    make_objective(world_a.org, cycle, title="Personal objective", owner_type="person", user=world_a.member)
    client.force_login(world_a.viewer)
    html = client.get("/o/alpha/okrs/").content.decode()
    assert html.index("Company objective") < html.index("Team objective") < html.index("Personal objective")
    assert "Marketing" in html and world_a.member.name in html


def test_empty_states_guide_the_first_steps(world_a, client):
    client.force_login(world_a.admin)
    assert "Open a cycle" in client.get("/o/alpha/okrs/").content.decode()
    r = client.get("/o/alpha/okrs/new/")
    assert r.status_code == 302 and r["Location"] == "/o/alpha/cycles/"


def _bulk(world, cycle: Cycle, n: int) -> None:
    objectives = Objective.objects.bulk_create(
        [
            Objective(
                organization=world.org,
                cycle=cycle,
                title=f"Objective {i}",
                owner_type=("company", "team", "person")[i % 3],
                owner_team=world.team if i % 3 == 1 else None,
                owner_user=world.member if i % 3 == 2 else None,
            )
            for i in range(n)
        ]
    )
    KeyResult.objects.bulk_create(
        [
            KeyResult(
                organization=world.org,
                objective=o,
                title=f"KR {j}",
                owner=world.member,
                start_value=0,
                target_value=10,
                current_value=j,
            )
            for o in objectives
            for j in range(2)
        ]
    )


def test_cycle_page_query_count_is_the_same_for_10_and_200_objectives(
    world_a, cycle, client, django_assert_max_num_queries
):
    client.force_login(world_a.admin)
    _bulk(world_a, cycle, 10)
    with django_assert_max_num_queries(20) as small:
        assert client.get(f"/o/alpha/okrs/?cycle={cycle.pk}").status_code == 200
    _bulk(world_a, cycle, 190)
    with django_assert_max_num_queries(20) as large:
        r = client.get(f"/o/alpha/okrs/?cycle={cycle.pk}")
    assert r.content.decode().count('class="okr-card"') == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_objective_detail_query_count_does_not_grow_with_history(world_a, cycle, client, django_assert_max_num_queries):
    from objectives import services

    objective = make_objective(world_a.org, cycle, user=world_a.member, owner_type="person")
    krs = [make_kr(objective, owner=world_a.member, title=f"KR {i}") for i in range(3)]
    client.force_login(world_a.member)
    for kr in krs:
        services.key_result_check_in(key_result=kr, actor=world_a.member, value=1, confidence=5)
    with django_assert_max_num_queries(30) as small:
        client.get(f"/o/alpha/okrs/{objective.pk}/")
    for week in range(10):
        for kr in krs:
            services.key_result_check_in(key_result=kr, actor=world_a.member, value=week, confidence=5)
    with django_assert_max_num_queries(30) as large:
        client.get(f"/o/alpha/okrs/{objective.pk}/")
    assert len(large.captured_queries) == len(small.captured_queries)


def test_cascade_page_shows_the_tree_and_the_teams(world_a, cycle, client, django_assert_max_num_queries):
    company = make_objective(world_a.org, cycle, title="Company objective")
    make_objective(world_a.org, cycle, title="Team objective", owner_type="team", team=world_a.team, parent=company)
    client.force_login(world_a.viewer)
    with django_assert_max_num_queries(20):
        html = client.get(f"/o/alpha/okrs/cascade/?cycle={cycle.pk}").content.decode()
    assert html.index("Company objective") < html.index("Team objective")
    assert "Marketing" in html and "Growth" in html
    assert client.get("/o/alpha/okrs/cascade/?cycle=999999").status_code == 404


def test_cascade_page_without_a_cycle_guides_the_user(world_a, client):
    client.force_login(world_a.admin)
    assert "No cycle yet" in client.get("/o/alpha/okrs/cascade/").content.decode()
