"""Planning in one place: the template page aligns and holds 2 to 5 key results with their
direction; New objective preselects the cycle planned next, its "aligned to" list follows the
cycle, it offers only the owners a person may choose and a refusal keeps what was typed; the
close page saves every grade and note with one button."""

from __future__ import annotations

import re
from datetime import date

import pytest

from objectives.models import Contribution, KeyResult, Objective
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

pytestmark = pytest.mark.django_db
USE = "/o/alpha/okrs/templates/use/?template=service-delight"


def _template_data(cycle, owner, rows, **extra):
    data = {
        "title": "Delight our shoppers",
        "description": "",
        "cycle": cycle.pk,
        "commitment": "committed",
        "owner_type": "person",
        "owner_team": "",
        "owner_user": owner.pk,
        "kr-TOTAL_FORMS": len(rows),
        "kr-INITIAL_FORMS": 0,
        "kr-MIN_NUM_FORMS": 0,
        "kr-MAX_NUM_FORMS": 5,
        **extra,
    }
    for i, (title, start, target, direction) in enumerate(rows):
        data.update(
            {
                f"kr-{i}-title": title,
                f"kr-{i}-owner": owner.pk,
                f"kr-{i}-kind": "number",
                f"kr-{i}-unit": "",
                f"kr-{i}-start_value": start,
                f"kr-{i}-target_value": target,
                f"kr-{i}-direction": direction,
            }
        )
    return data


def test_a_template_aligns_to_two_parents_with_four_key_results(world_a, web):
    cycle = make_cycle(world_a.org)
    revenue = make_objective(world_a.org, cycle, title="Grow revenue")
    brand = make_objective(world_a.org, cycle, title="Build the brand")
    client = web(world_a.member)
    page = client.get(USE + f"&cycle={cycle.pk}").content.decode()
    assert 'name="aligned_to"' in page and "Grow revenue" in page and 'id="kr-row-template"' in page
    assert 'name="kr-0-direction"' in page
    rows = [("Raise NPS", 30, 50, "increase"), ("Cut reply time", 8, 2, "decrease")]
    rows += [("Answer every review", 0, 100, "increase"), ("Lower churn", 5, 3, "")]
    data = _template_data(cycle, world_a.member, rows, aligned_to=[revenue.pk, brand.pk])
    r = client.post(USE, data)
    assert r.status_code == 302, r.content.decode()[:2000]
    o = Objective.objects.get(title="Delight our shoppers")
    assert o.parent == revenue
    assert list(Contribution.objects.filter(child=o).values_list("parent", flat=True)) == [brand.pk]
    assert KeyResult.objects.filter(objective=o).count() == 4


def test_a_direction_that_disagrees_with_the_target_is_refused_on_its_row(world_a, web):
    cycle = make_cycle(world_a.org)
    rows = [("Raise NPS", 30, 50, "increase"), ("Cut reply time", 8, 12, "decrease")]
    r = web(world_a.member).post(USE, _template_data(cycle, world_a.member, rows))
    assert r.status_code == 400
    assert "To decrease, the target is below the start." in r.content.decode()
    assert not Objective.objects.filter(title="Delight our shoppers").exists()


def test_a_template_needs_two_key_results(world_a, web):
    cycle = make_cycle(world_a.org)
    rows = [("Raise NPS", 30, 50, "increase")]
    r = web(world_a.member).post(USE, _template_data(cycle, world_a.member, rows))
    assert r.status_code == 400 and "An objective needs 2 to 5 key results" in r.content.decode()


def test_new_objective_preselects_the_cycle_planned_next(world_a, web):
    make_cycle(world_a.org, name="Year 2026", start=date(2026, 1, 1), days=365)
    make_cycle(world_a.org, name="Q4 2026")
    nxt = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), status="planning")
    page = web(world_a.admin).get("/o/alpha/okrs/new/").content.decode()
    assert re.search(rf'<option value="{nxt.pk}" selected>Q1 2027', page), page


def test_the_aligned_to_list_follows_the_cycle(world_a, web):
    q4 = make_cycle(world_a.org)
    q1 = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), status="planning")
    make_objective(world_a.org, q4, title="Grow revenue this quarter")
    make_objective(world_a.org, q1, title="Grow revenue next quarter")
    client = web(world_a.admin)
    page = client.get("/o/alpha/okrs/new/").content.decode()
    assert 'hx-get="/o/alpha/okrs/new/"' in page and 'hx-select="#field-aligned"' in page
    part = client.get(f"/o/alpha/okrs/new/?cycle={q4.pk}", HTTP_HX_REQUEST="true").content.decode()
    aligned = part[part.index('id="field-aligned"') :]
    aligned = aligned[: aligned.index("</div>")]
    assert "Grow revenue this quarter" in aligned and "Grow revenue next quarter" not in aligned


def test_the_owner_list_offers_only_choosable_owners(world_a, web):
    make_cycle(world_a.org)
    page = web(world_a.member).get("/o/alpha/okrs/new/").content.decode()
    owners = page[page.index('name="owner_user"') :]
    owners = owners[: owners.index("</select>")]
    assert world_a.member.display_name in owners and world_a.admin.display_name not in owners
    # A member owns for themself: neither the company nor a team is offered.
    assert 'name="owner_type" value="company"' not in page and 'name="owner_type" value="team"' not in page
    assert 'name="owner_type" value="person"' in page


def test_a_refused_owner_keeps_what_was_typed_with_a_message_on_the_field(world_a, web):
    cycle = make_cycle(world_a.org)
    data = {
        "title": "Typed with care",
        "description": "Why it matters, typed too",
        "cycle": cycle.pk,
        "commitment": "committed",
        "owner_type": "person",
        "owner_team": "",
        "owner_user": world_a.admin.pk,
        "parent": "",
        "weight": "1",
        "perspective": "",
    }
    r = web(world_a.member).post("/o/alpha/okrs/new/", data)
    page = r.content.decode()
    assert r.status_code == 403
    assert 'value="Typed with care"' in page and "Why it matters, typed too" in page
    owner_field = page[page.index('class="field field-owner_user"') :]
    assert "You can create objectives for yourself" in owner_field[: owner_field.index("</div>")]
    assert not Objective.objects.filter(title="Typed with care").exists()


def test_the_close_page_saves_every_grade_and_note_with_one_button(world_a, web):
    cycle = make_cycle(world_a.org)
    o = make_objective(world_a.org, cycle, owner_type="team", team=world_a.team)
    a = make_kr(o, title="NPS", owner=world_a.member)
    b = make_kr(o, title="Reply time", owner=world_a.member)
    c = make_kr(o, title="Untouched", owner=world_a.member)
    client = web(world_a.manager)
    page = client.get(f"/o/alpha/cycles/{cycle.pk}/close/").content.decode()
    assert 'id="grades-all"' in page and f'name="grade-{a.pk}"' in page
    data = {
        f"grade-{a.pk}": "0.6",
        f"grade_note-{a.pk}": "Late answers",
        f"grade-{b.pk}": "0.3",
        f"grade_note-{b.pk}": "Short-staffed",
        f"grade-{c.pk}": "0.0",
        f"grade_note-{c.pk}": "",
    }
    r = client.post(f"/o/alpha/cycles/{cycle.pk}/grades/", data)
    assert r.status_code == 302
    got = {kr.title: (kr.grade, kr.grade_note) for kr in KeyResult.objects.filter(objective=o)}
    assert got == {"NPS": (0.6, "Late answers"), "Reply time": (0.3, "Short-staffed"), "Untouched": (None, "")}
    # A refused grade comes back as typed, the others saved.
    r = client.post(f"/o/alpha/cycles/{cycle.pk}/grades/", {**data, f"grade-{a.pk}": "1.7", f"grade-{b.pk}": "0.5"})
    assert r.status_code == 400 and 'value="1.7"' in r.content.decode()
    assert KeyResult.objects.get(pk=b.pk).grade == 0.5
