"""The template library: every shipped template passes the coach in both languages, covers the
functions and the seed's KPI examples; planning from a template is one step; an organisation
saves its own objectives as templates."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from objectives.models import KeyResult, Objective, OkrTemplate
from rituals import coach, library
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


@pytest.mark.parametrize("language", ["en", "vi"])
def test_every_template_passes_the_coach(language):
    okrs = library.okr_templates(language)
    kpis = library.kpi_templates(language)
    assert {t.function for t in okrs} == set(library.FUNCTIONS)
    assert {t.function for t in kpis} == set(library.FUNCTIONS)
    for t in okrs:
        assert coach.check_objective(library.okr_facts(t)) == [], (language, t.key)
    for k in kpis:
        assert coach.check_kpi(library.kpi_facts(k)) == [], (language, k.key)


def test_the_two_languages_hold_the_same_templates():
    en, vi = library.okr_templates("en"), library.okr_templates("vi")
    assert [t.key for t in en] == [t.key for t in vi]
    for a, b in zip(en, vi, strict=True):
        assert a.title != b.title
        assert [(kr.start, kr.target, kr.kind) for kr in a.key_results] == [
            (kr.start, kr.target, kr.kind) for kr in b.key_results
        ]
    assert [k.key for k in library.kpi_templates("en")] == [k.key for k in library.kpi_templates("vi")]


def test_the_seeds_kpi_examples_are_in_the_library():
    names = {k.name.lower() for k in library.kpi_templates("en")}
    for example in (
        "new leads per month",
        "qualified leads per month",
        "proposals sent per month",
        "net revenue growth",
        "revenue growth",
        "net profit margin",
        "gross margin",
        "operating cash flow",
        "days sales outstanding (receivables)",
        "inventory turnover",
        "share of candidates meeting the criteria",
        "revenue per employee",
        "internal promotions vs external hires",
        "average tenure",
        "employee satisfaction",
        "absenteeism rate",
    ):
        assert example in names


def test_library_page_in_both_languages(world_a, web):
    client = web(world_a.manager)
    page = client.get("/o/alpha/okrs/templates/").content.decode()
    assert "Become the name buyers think of first in our market" in page and "Use this OKR" in page
    assert "Customer service" in page and "Inventory turnover" in page
    page = client.get("/o/alpha/okrs/templates/", HTTP_ACCEPT_LANGUAGE="vi")
    world_a.manager.language = "vi"
    world_a.manager.save()
    page = web(world_a.manager).get("/o/alpha/okrs/templates/").content.decode()
    assert "Trở thành cái tên khách hàng nghĩ đến đầu tiên trong thị trường" in page


def test_pick_edit_in_place_and_save_in_one_step(world_a, web):
    cycle = make_cycle(world_a.org)
    client = web(world_a.manager)
    page = client.get(f"/o/alpha/okrs/templates/use/?template=customer-service-delight&cycle={cycle.pk}")
    assert page.status_code == 404  # unknown key
    page = client.get(f"/o/alpha/okrs/templates/use/?template=service-delight&cycle={cycle.pk}").content.decode()
    assert 'value="Delight our customers on every channel"' in page and 'value="Raise NPS from 32 to 45"' in page
    data = {
        "title": "Delight our shoppers on every channel",
        "description": "",
        "cycle": cycle.pk,
        "commitment": "committed",
        "owner_type": "team",
        "owner_team": world_a.team.pk,
        "owner_user": "",
        "kr-TOTAL_FORMS": 3,
        "kr-INITIAL_FORMS": 3,
        "kr-MIN_NUM_FORMS": 0,
        "kr-MAX_NUM_FORMS": 5,
    }
    rows = [("Raise NPS from 30 to 50", "number", "NPS points", 30, 50), ("Cut reply time", "number", "hours", 8, 2)]
    for i, (title, kind, unit, start, target) in enumerate(rows):
        data.update(
            {
                f"kr-{i}-title": title,
                f"kr-{i}-owner": world_a.member.pk,
                f"kr-{i}-kind": kind,
                f"kr-{i}-unit": unit,
                f"kr-{i}-start_value": start,
                f"kr-{i}-target_value": target,
            }
        )
    data.update(
        {
            "kr-2-title": "",
            "kr-2-owner": "",
            "kr-2-kind": "number",
            "kr-2-unit": "",
            "kr-2-start_value": "",
            "kr-2-target_value": "",
        }
    )
    # A refused row names itself and nothing is saved.
    bad = {**data, "kr-1-target_value": "", "kr-1-title": "Cut reply time"}
    r = client.post("/o/alpha/okrs/templates/use/?template=service-delight", bad)
    assert r.status_code == 400 and "A target is required." in r.content.decode()
    assert 'value="Delight our shoppers on every channel"' in r.content.decode()
    assert not Objective.objects.filter(title__startswith="Delight our shoppers").exists()
    r = client.post("/o/alpha/okrs/templates/use/?template=service-delight", data)
    assert r.status_code == 302
    objective = Objective.objects.get(title="Delight our shoppers on every channel")
    assert objective.cycle == cycle and objective.owner_team == world_a.team and objective.status == "draft"
    krs = list(KeyResult.objects.filter(objective=objective).order_by("position", "id"))
    assert [(kr.title, kr.start_value, kr.target_value, kr.owner) for kr in krs] == [
        ("Raise NPS from 30 to 50", 30, 50, world_a.member),
        ("Cut reply time", 8, 2, world_a.member),
    ]


def test_a_template_into_the_backlog(world_a, web):
    make_cycle(world_a.org)
    data = {
        "title": "Make this a place good people join and stay",
        "description": "",
        "cycle": "",
        "commitment": "aspirational",
        "owner_type": "company",
        "owner_team": "",
        "owner_user": "",
        "kr-TOTAL_FORMS": 2,
        "kr-INITIAL_FORMS": 2,
        "kr-MIN_NUM_FORMS": 0,
        "kr-MAX_NUM_FORMS": 5,
        "kr-0-title": "Lift satisfaction from 6.8 to 8",
        "kr-0-owner": world_a.admin.pk,
        "kr-0-kind": "number",
        "kr-0-unit": "points",
        "kr-0-start_value": 6.8,
        "kr-0-target_value": 8,
        "kr-1-title": "Raise internal promotions from 25% to 50%",
        "kr-1-owner": world_a.admin.pk,
        "kr-1-kind": "percent",
        "kr-1-unit": "%",
        "kr-1-start_value": 25,
        "kr-1-target_value": 50,
    }
    r = web(world_a.admin).post("/o/alpha/okrs/templates/use/?template=hr-place-to-stay", data)
    assert r.status_code == 302
    o = Objective.objects.get(title="Make this a place good people join and stay")
    assert o.cycle is None and o.commitment == "aspirational" and o.key_results.count() == 2


def test_a_kpi_template_opens_the_kpi_form_prefilled(world_a, web):
    client = web(world_a.manager)
    page = client.get("/o/alpha/okrs/templates/").content.decode()
    start = page.index("/o/alpha/kpis/new/?")
    link = page[start : page.index('"', start)].replace("&amp;", "&")
    query = parse_qs(urlparse(link).query)
    assert query["name"] and query["how_measured"]
    form = client.get(link).content.decode()
    assert f'value="{query["name"][0]}"' in form


def test_save_an_objective_as_a_template_and_use_it(world_a, web):
    cycle = make_cycle(world_a.org)
    o = make_objective(
        world_a.org, cycle, title="Win the hearts of our neighbours", owner_type="team", team=world_a.team
    )
    make_kr(o, title="Raise local NPS", owner=world_a.member, start=10, target=40)
    client = web(world_a.manager)
    assert client.post(f"/o/alpha/okrs/{o.pk}/save-as-template/").status_code == 302
    template = OkrTemplate.objects.get(organization=world_a.org)
    assert template.title == o.title and template.key_results[0]["start"] == 10
    page = client.get("/o/alpha/okrs/templates/").content.decode()
    assert "Win the hearts of our neighbours" in page
    use = client.get(f"/o/alpha/okrs/templates/use/?template=org-{template.pk}").content.decode()
    assert 'value="Raise local NPS"' in use
    assert web(world_a.member).post(f"/o/alpha/okrs/templates/own/{template.pk}/delete/").status_code == 403
    assert web(world_a.manager).post(f"/o/alpha/okrs/templates/own/{template.pk}/delete/").status_code == 302
    assert not OkrTemplate.objects.exists()


def test_another_organisations_template_is_a_404(world_a, world_b, web):
    cycle = make_cycle(world_b.org, name="B")
    o = make_objective(world_b.org, cycle, title="Theirs")
    from rituals.services import okr_template_save

    template = okr_template_save(objective=o, actor=world_b.admin)
    assert web(world_a.admin).get(f"/o/alpha/okrs/templates/use/?template=org-{template.pk}").status_code == 404
