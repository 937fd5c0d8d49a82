"""Scorecard and strategy-map services: what fits, what is refused, what is logged."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from activity.models import ActivityEntry
from objectives.services import objective_update
from scorecards import services
from scorecards.models import Scorecard, ScorecardItem, StrategyLink
from tests.kpis.kpi_factories import make_kpi
from tests.objectives.okr_factories import make_cycle, make_objective
from tests.scorecards.sc_factories import company_card, four_kpis


@pytest.mark.django_db
def test_create_from_library_places_every_active_company_kpi_in_its_perspective(world_a, world_b):
    kpis = four_kpis(world_a.org)
    make_kpi(world_a.org, name="Team KPI", owner_type="team", team=world_a.team, perspective="financial")
    make_kpi(world_a.org, name="Retired", perspective="financial", active=False)
    four_kpis(world_b.org)
    card = company_card(world_a.org)
    items = list(card.items.order_by("position"))
    assert [(i.kpi_id, i.perspective, i.weight) for i in items] == [
        (k.pk, k.perspective, 1.0) for k in sorted(kpis, key=lambda k: k.name)
    ]
    verbs = list(ActivityEntry.objects.filter(organization=world_a.org).values_list("verb", flat=True))
    assert "scorecard.created" in verbs and "scorecard.items_changed" in verbs


@pytest.mark.django_db
def test_team_scorecard_from_library_takes_the_teams_own_kpis(world_a):
    mine = make_kpi(world_a.org, name="Leads", owner_type="team", team=world_a.team)
    make_kpi(world_a.org, name="Other", owner_type="team", team=world_a.other_team)
    make_kpi(world_a.org, name="Company")
    card = services.scorecard_create(
        org=world_a.org, actor=None, name="Marketing", owner_team=world_a.team, from_library=True
    )
    assert list(card.items.values_list("kpi_id", flat=True)) == [mine.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("weight", [-1, "abc", "", None, float("nan"), float("inf"), 1001, True])
def test_bad_item_weights_are_refused_and_change_nothing(world_a, weight):
    kpis = four_kpis(world_a.org)
    card = company_card(world_a.org)
    before = list(card.items.values_list("kpi_id", "perspective", "weight", "position"))
    specs = [services.ItemSpec(kpi=k, perspective=k.perspective, weight=2) for k in kpis]
    specs[2] = services.ItemSpec(kpi=kpis[2], perspective="customer", weight=weight)
    with pytest.raises(ValidationError) as exc:
        services.scorecard_items_set(scorecard=card, actor=None, items=specs)
    assert "weight" in exc.value.message_dict
    assert list(card.items.values_list("kpi_id", "perspective", "weight", "position")) == before


@pytest.mark.django_db
def test_bad_perspective_weights_and_thresholds_are_refused(world_a):
    card = company_card(world_a.org)
    with pytest.raises(ValidationError) as exc:
        services.scorecard_update(scorecard=card, actor=None, perspective_weights={"financial": -2})
    assert "weight_financial" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.scorecard_update(scorecard=card, actor=None, perspective_weights={"sales": 1})
    assert "perspective_weights" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.scorecard_update(scorecard=card, actor=None, green_at=0.5, amber_at=0.8)
    assert "amber_at" in exc.value.message_dict
    card.refresh_from_db()
    assert card.perspective_weights["financial"] == 1.0 and (card.green_at, card.amber_at) == (0.9, 0.7)


@pytest.mark.django_db
def test_names_are_unique_per_organisation(world_a, world_b):
    company_card(world_a.org, name="Board")
    company_card(world_b.org, name="Board")
    with pytest.raises(ValidationError) as exc:
        company_card(world_a.org, name="board")
    assert "name" in exc.value.message_dict


@pytest.mark.django_db
def test_a_team_scorecard_refuses_kpis_of_other_owners_and_organisations(world_a, world_b):
    card = services.scorecard_create(org=world_a.org, actor=None, name="Marketing", owner_team=world_a.team)
    sub = make_kpi(world_a.org, name="Sub", owner_type="team", team=world_a.sub_team)
    person = make_kpi(world_a.org, name="Mine", owner_type="person", user=world_a.member)
    services.scorecard_item_add(scorecard=card, actor=None, kpi=sub)
    services.scorecard_item_add(scorecard=card, actor=None, kpi=person)
    for foreign in (
        make_kpi(world_a.org, name="Finance", owner_type="team", team=world_a.other_team),
        make_kpi(world_a.org, name="Company"),
        make_kpi(world_b.org, name="Beta"),
    ):
        with pytest.raises(ValidationError):
            services.scorecard_item_add(scorecard=card, actor=None, kpi=foreign)
    assert set(card.items.values_list("kpi_id", flat=True)) == {sub.pk, person.pk}


@pytest.mark.django_db
def test_move_reorders_within_a_perspective_and_remove_drops_the_kpis_links(world_a):
    a = make_kpi(world_a.org, name="A", perspective="financial")
    b = make_kpi(world_a.org, name="B", perspective="customer")
    c = make_kpi(world_a.org, name="C", perspective="financial")
    card = company_card(world_a.org)
    services.scorecard_item_move(scorecard=card, actor=None, kpi=c, offset=-1)
    order = list(ScorecardItem.objects.filter(scorecard=card).order_by("position").values_list("kpi_id", flat=True))
    assert order == [c.pk, b.pk, a.pk]
    services.strategy_link_create(scorecard=card, actor=None, source=a, target=b)
    services.scorecard_item_remove(scorecard=card, actor=None, kpi=a)
    assert not StrategyLink.objects.filter(scorecard=card).exists()
    assert set(card.items.values_list("kpi_id", flat=True)) == {b.pk, c.pk}


@pytest.mark.django_db
def test_strategy_links_join_nodes_of_the_map_only(world_a, world_b):
    kpis = four_kpis(world_a.org)
    card = company_card(world_a.org)
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="Grow")
    objective_update(objective=objective, actor=world_a.admin, perspective="financial")
    link = services.strategy_link_create(scorecard=card, actor=world_a.admin, source=kpis[3], target=objective)
    assert (link.source_key, link.target_key) == (f"kpi:{kpis[3].pk}", f"objective:{objective.pk}")
    with pytest.raises(ValidationError, match="already linked"):
        services.strategy_link_create(scorecard=card, actor=None, source=kpis[3], target=objective)
    with pytest.raises(ValidationError, match="itself"):
        services.strategy_link_create(scorecard=card, actor=None, source=kpis[0], target=kpis[0])
    unplaced = make_objective(world_a.org, cycle, title="No perspective")
    with pytest.raises(ValidationError):
        services.strategy_link_create(scorecard=card, actor=None, source=kpis[0], target=unplaced)
    beta = four_kpis(world_b.org)[0]
    with pytest.raises(ValidationError):
        services.strategy_link_create(scorecard=card, actor=None, source=beta, target=kpis[0])
    services.strategy_link_delete(link=link, actor=world_a.admin)
    assert not StrategyLink.objects.exists()
    verbs = set(ActivityEntry.objects.filter(organization=world_a.org).values_list("verb", flat=True))
    assert {"strategy_link.created", "strategy_link.deleted"} <= verbs


@pytest.mark.django_db
def test_delete_keeps_kpis(world_a):
    kpis = four_kpis(world_a.org)
    card = company_card(world_a.org)
    services.scorecard_delete(scorecard=card, actor=world_a.admin)
    assert not Scorecard.objects.exists() and not ScorecardItem.objects.exists()
    assert all(type(k).objects.filter(pk=k.pk).exists() for k in kpis)
