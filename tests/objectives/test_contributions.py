"""Contributions through the services and ``contributions/``: the rules and their messages,
loops named by their path, and the progress of every parent moving (DESIGN §4, §6)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from objectives import services
from objectives.models import Contribution, KeyResult, Objective
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

URL = "/api/v1/orgs/alpha/contributions/"


@pytest.fixture
def okrs(world_a):
    cycle = make_cycle(world_a.org)
    revenue = make_objective(world_a.org, cycle, title="Revenue", status="active")
    brand = make_objective(world_a.org, cycle, title="Brand", status="active")
    marketing = make_objective(
        world_a.org, cycle, title="Marketing", owner_type="team", team=world_a.team, parent=revenue, status="active"
    )
    for o in (revenue, brand):
        make_kr(o, owner=world_a.member, target=10)
    kr = make_kr(marketing, owner=world_a.member, target=100)
    return cycle, revenue, brand, marketing, kr


def _progress(*objectives: Objective) -> list[float]:
    return [Objective.objects.get(pk=o.pk).progress for o in objectives]


def test_a_second_parent_moves_with_the_child_weighted_by_the_link(world_a, okrs):
    _cycle, revenue, brand, marketing, kr = okrs
    link = services.contribution_create(child=marketing, actor=world_a.admin, parent=brand, weight=3)
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=80, confidence=7)
    # Brand: its own key result (0, weight 1) and Marketing (0.8, weight 3).
    assert _progress(marketing, revenue, brand) == pytest.approx([0.8, 0.4, 0.6])
    services.contribution_update(contribution=link, actor=world_a.admin, weight=1)
    assert _progress(brand) == pytest.approx([0.4])
    services.contribution_delete(contribution=link, actor=world_a.admin)
    assert _progress(brand) == pytest.approx([0.0])


def test_an_aligned_key_result_is_the_weighted_mean_of_its_contributors(world_a, okrs):
    _cycle, revenue, brand, marketing, kr = okrs
    aligned = services.key_result_create(
        objective=brand, actor=None, owner=world_a.member, title="Campaigns land", kind="aligned"
    )
    assert (aligned.start_value, aligned.target_value, aligned.current_value, aligned.progress) == (0, 1, 0, 0)
    services.contribution_create(child=marketing, actor=None, key_result=aligned, weight=2)
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=50, confidence=7)
    aligned.refresh_from_db()
    assert (aligned.progress, aligned.current_value) == (pytest.approx(0.5), pytest.approx(0.5))
    assert _progress(brand) == pytest.approx([0.25])  # (0 + 0.5) / 2 key results
    with pytest.raises(ValidationError, match="takes no check-ins"):
        services.key_result_check_in(key_result=aligned, actor=world_a.member, value=1, confidence=7)
    with pytest.raises(ValidationError, match="remove them before changing its kind"):
        services.key_result_update(key_result=aligned, actor=world_a.admin, kind="number", target_value=10)


@pytest.mark.parametrize("closing", range(5))
def test_a_loop_is_refused_at_every_edge_of_a_five_cycle(world_a, closing):
    """Five objectives in a ring: any four of its edges are accepted, the fifth is refused
    with the loop named; the first edge is a primary parent, the others contributions."""
    cycle = make_cycle(world_a.org)
    ring = [make_objective(world_a.org, cycle, title=f"R{i}", status="active") for i in range(5)]
    for i in range(5):
        if i == closing:
            continue
        child, parent = ring[i], ring[(i + 1) % 5]
        if i == 0:
            services.objective_update(objective=child, actor=world_a.admin, parent=parent)
        else:
            services.contribution_create(child=child, actor=world_a.admin, parent=parent)
    child, parent = ring[closing], ring[(closing + 1) % 5]
    expected = [f"“R{(closing + k) % 5}”" for k in range(6)]
    with pytest.raises(ValidationError) as caught:
        if closing == 0:
            services.objective_update(objective=Objective.objects.get(pk=child.pk), actor=world_a.admin, parent=parent)
        else:
            services.contribution_create(child=child, actor=world_a.admin, parent=parent)
    message = " ".join(m for ms in caught.value.message_dict.values() for m in ms)
    if closing == 0:
        assert "loop" in message
    else:
        assert "This would close a loop: " + " → ".join(expected) in message
    assert Contribution.objects.filter(organization=world_a.org).count() == (4 if closing == 0 else 3)


def test_a_loop_through_an_aligned_key_result_is_refused(world_a, okrs):
    _cycle, revenue, brand, marketing, kr = okrs
    aligned = services.key_result_create(
        objective=marketing, actor=None, owner=world_a.member, title="A", kind="aligned"
    )
    services.contribution_create(child=brand, actor=None, key_result=aligned)
    with pytest.raises(ValidationError, match="close a loop: “Marketing” → “Brand” → “Marketing”"):
        services.contribution_create(child=marketing, actor=None, parent=brand)


# --- the API --------------------------------------------------------------------------------


def test_api_creates_lists_updates_and_deletes_a_contribution(world_a, okrs, api):
    _cycle, revenue, brand, marketing, kr = okrs
    client = api(world_a.admin)
    r = client.post(URL, {"child": marketing.pk, "parent": brand.pk, "weight": 2.5}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body == {"id": body["id"], "child": marketing.pk, "parent": brand.pk, "key_result": None, "weight": 2.5}
    listed = client.get(URL, {"child": marketing.pk}).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]
    r = client.patch(f"{URL}{body['id']}/", {"weight": 4}, format="json")
    assert r.status_code == 200 and r.json()["weight"] == 4
    assert client.delete(f"{URL}{body['id']}/").status_code == 204
    assert not Contribution.objects.exists()


def test_api_refuses_a_member_who_may_not_edit_the_child(world_a, okrs, api):
    _cycle, revenue, brand, marketing, kr = okrs
    r = api(world_a.viewer).post(URL, {"child": marketing.pk, "parent": brand.pk}, format="json")
    assert r.status_code in (403, 404)
    assert not Contribution.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"parent": "self"}, "parent", "cannot contribute to itself"),
        ({"parent": "brand", "weight": 0}, "weight", "more than 0"),
        ({"parent": "brand", "weight": -1}, "weight", "more than 0"),
        ({"parent": "brand", "weight": "NaN"}, "weight", "finite number"),
        ({"parent": "brand", "weight": "lots"}, "weight", "Enter a number"),
        ({"parent": "brand", "weight": 11}, "weight", "at most 10"),
        ({"key_result": "kr"}, "key_result", "Only a key result of kind"),
        ({"parent": "brand", "key_result": "aligned"}, "parent", "not both"),
        ({}, "parent", "not both"),
        ({"parent": "revenue"}, "parent", "primary parent"),
    ],
)
def test_api_bad_contributions_are_400_naming_the_field(world_a, okrs, api, body, field, words):
    _cycle, revenue, brand, marketing, kr = okrs
    aligned = services.key_result_create(objective=brand, actor=None, owner=world_a.member, title="A", kind="aligned")
    names = {"self": marketing.pk, "brand": brand.pk, "revenue": revenue.pk, "kr": kr.pk, "aligned": aligned.pk}
    data = {"child": marketing.pk, **{k: names.get(v, v) if k != "weight" else v for k, v in body.items()}}
    r = api(world_a.admin).post(URL, data, format="json")
    assert r.status_code == 400, r.content
    payload = r.json()
    assert words in " ".join(payload["errors"][field]), payload
    assert payload["message"]
    assert not Contribution.objects.exists()


def test_api_a_loop_is_400_naming_the_path(world_a, okrs, api):
    _cycle, revenue, brand, marketing, kr = okrs
    services.contribution_create(child=brand, actor=None, parent=marketing)
    r = api(world_a.admin).post(URL, {"child": revenue.pk, "parent": brand.pk}, format="json")
    assert r.status_code == 400
    assert "“Revenue” → “Brand” → “Marketing” → “Revenue”" in r.json()["errors"]["parent"][0]


def test_api_another_organisations_parent_or_key_result_is_404(world_a, world_b, okrs, api):
    _cycle, revenue, brand, marketing, kr = okrs
    other_cycle = make_cycle(world_b.org)
    foreign = make_objective(world_b.org, other_cycle, title="Theirs", status="active")
    foreign_kr = make_kr(foreign, owner=world_b.member, target=10)
    client = api(world_a.admin)
    for body in ({"parent": foreign.pk}, {"key_result": foreign_kr.pk}):
        r = client.post(URL, {"child": marketing.pk, **body}, format="json")
        assert r.status_code == 404, r.content
    assert client.post(URL, {"child": foreign.pk, "parent": brand.pk}, format="json").status_code == 404
    assert not Contribution.objects.exists()


def test_api_more_than_ten_contributions_from_one_objective_is_400(world_a, okrs, api):
    cycle, revenue, brand, marketing, kr = okrs
    for i in range(10):
        target = make_objective(world_a.org, cycle, title=f"T{i}", status="active")
        services.contribution_create(child=marketing, actor=None, parent=target)
    eleventh = make_objective(world_a.org, cycle, title="T10", status="active")
    r = api(world_a.admin).post(URL, {"child": marketing.pk, "parent": eleventh.pk}, format="json")
    assert r.status_code == 400
    assert "at most 10" in r.json()["errors"]["child"][0]
    assert Contribution.objects.filter(child=marketing).count() == 10


def test_api_a_check_in_on_an_aligned_key_result_is_400(world_a, okrs, api):
    _cycle, revenue, brand, marketing, kr = okrs
    aligned = services.key_result_create(objective=brand, actor=None, owner=world_a.member, title="A", kind="aligned")
    r = api(world_a.admin).post(
        "/api/v1/orgs/alpha/check-ins/", {"key_result": aligned.pk, "value": 1, "confidence": 5}, format="json"
    )
    assert r.status_code == 400
    assert "takes no check-ins" in str(r.json())
    assert KeyResult.objects.get(pk=aligned.pk).progress == 0


def test_as_of_a_day_an_aligned_key_result_is_its_contributors_snapshot_mean(world_a, okrs, api):
    from datetime import UTC, date, datetime

    from objectives import snapshots

    cycle, revenue, brand, marketing, kr = okrs
    aligned = services.key_result_create(objective=brand, actor=None, owner=world_a.member, title="A", kind="aligned")
    KeyResult.objects.filter(pk=aligned.pk).update(created_at=datetime(2026, 10, 1, tzinfo=UTC))  # before the day
    services.contribution_create(child=marketing, actor=None, key_result=aligned)
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=40, confidence=7)
    snapshots.snapshot_organization(org=world_a.org, day=date(2026, 11, 1))
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=90, confidence=7)
    client = api(world_a.viewer)

    def aligned_in(doc: dict) -> float:
        brand_node = next(n for n in doc["objectives"] if n["id"] == brand.pk)
        return next(k["progress"] for k in brand_node["key_results"] if k["id"] == aligned.pk)

    then = client.get(f"/api/v1/orgs/alpha/cascade/?cycle={cycle.pk}&as_of=2026-11-15").json()
    now = client.get(f"/api/v1/orgs/alpha/cascade/?cycle={cycle.pk}").json()
    assert aligned_in(then) == pytest.approx(0.4) and aligned_in(now) == pytest.approx(0.9)


def test_deleting_a_contributor_rolls_up_what_it_fed(world_a, okrs):
    _cycle, revenue, brand, marketing, kr = okrs
    aligned = services.key_result_create(objective=revenue, actor=None, owner=world_a.member, title="A", kind="aligned")
    services.contribution_create(child=marketing, actor=None, parent=brand)
    services.contribution_create(child=marketing, actor=None, key_result=aligned)
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=100, confidence=7)
    assert _progress(brand) == pytest.approx([0.5])
    services.objective_delete(objective=marketing, actor=world_a.admin)
    assert _progress(brand, revenue) == pytest.approx([0.0, 0.0])
    assert KeyResult.objects.get(pk=aligned.pk).progress == 0


def test_a_contributor_cancelled_leaves_everything_it_fed_at_once(world_a, okrs):
    """A cancelled (or draft) objective counts nowhere: not in its primary parent, nor in the
    objectives and aligned key results it contributes to. All of them move with the status
    change, not an hour later at the reconcile."""
    from objectives import reconcile

    _cycle, revenue, brand, marketing, kr = okrs
    aligned = services.key_result_create(objective=revenue, actor=None, owner=world_a.member, title="A", kind="aligned")
    services.contribution_create(child=marketing, actor=None, parent=brand)
    services.contribution_create(child=marketing, actor=None, key_result=aligned)
    services.key_result_check_in(key_result=kr, actor=world_a.member, value=100, confidence=7)
    assert _progress(brand) == pytest.approx([0.5])
    assert KeyResult.objects.get(pk=aligned.pk).progress == pytest.approx(1.0)
    services.objective_set_status(objective=marketing, actor=world_a.admin, status="cancelled")
    assert _progress(brand, revenue) == pytest.approx([0.0, 0.0])
    assert KeyResult.objects.get(pk=aligned.pk).progress == 0
    assert reconcile.reconcile_organization(org=world_a.org).repaired == 0
