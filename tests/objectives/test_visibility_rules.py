"""Setting who can see an objective or a KPI (issue 25, DESIGN §3): through the API and the
forms, a new child takes its parent's visibility, a child is never wider than what it counts
in, a parent is never narrowed below its children, viewers are people of the organisation,
and nobody is mentioned on an objective they may not see. Every refusal is a 400 (or a form
error) with a message, and nothing changes."""

from __future__ import annotations

import pytest

from conversations.models import Comment
from kpis.models import Kpi
from objectives import services
from objectives.models import Objective
from tests.factories import MembershipFactory, UserFactory, place
from tests.kpis.kpi_factories import make_kpi
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

pytestmark = pytest.mark.django_db

BASE = "/api/v1/orgs/alpha"


@pytest.fixture
def cycle(world_a):
    return make_cycle(world_a.org)


@pytest.fixture
def private_parent(world_a, cycle):
    parent = make_objective(world_a.org, cycle, title="Acquire Beta Corp", owner_type="team", team=world_a.team)
    return services.objective_update(objective=parent, actor=world_a.admin, visibility="private")


def _errors(r) -> dict:
    return r.json()["errors"]


def test_the_api_sets_visibility_and_viewers_and_reads_them_back(world_a, api, cycle):
    r = api(world_a.manager).post(
        f"{BASE}/objectives/",
        {
            "cycle": cycle.pk,
            "title": "Restructure sales",
            "owner_type": "team",
            "owner_team": world_a.team.pk,
            "visibility": "private",
            "viewers": [world_a.viewer.pk],
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["visibility"] == "private" and r.json()["viewers"] == [world_a.viewer.pk]
    objective = Objective.objects.get(pk=r.json()["id"])
    assert list(objective.viewers.values_list("pk", flat=True)) == [world_a.viewer.pk]
    # The named viewer reads it; dropping them from the viewers closes it to them again.
    assert api(world_a.viewer).get(f"{BASE}/objectives/{objective.pk}/").status_code == 200
    r = api(world_a.manager).patch(f"{BASE}/objectives/{objective.pk}/", {"viewers": []}, format="json")
    assert r.status_code == 200 and r.json()["viewers"] == []
    assert api(world_a.viewer).get(f"{BASE}/objectives/{objective.pk}/").status_code == 404


def test_an_open_objective_says_so(world_a, api, cycle):
    objective = make_objective(world_a.org, cycle)
    body = api(world_a.viewer).get(f"{BASE}/objectives/{objective.pk}/").json()
    assert body["visibility"] == "organization" and body["viewers"] == []


def test_a_new_child_inherits_its_parents_visibility(world_a, api, cycle, private_parent):
    r = api(world_a.manager).post(
        f"{BASE}/objectives/",
        {
            "cycle": cycle.pk,
            "title": "Due diligence",
            "owner_type": "team",
            "owner_team": world_a.team.pk,
            "parent": private_parent.pk,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["visibility"] == "private"
    # Through the service too, and a narrower child than its parent is allowed.
    team_parent = make_objective(world_a.org, cycle, title="Team one", owner_type="team", team=world_a.team)
    team_parent = services.objective_update(objective=team_parent, actor=world_a.admin, visibility="team")
    child = services.objective_create(
        org=world_a.org,
        actor=world_a.admin,
        cycle=cycle,
        title="Inherits",
        owner_type="team",
        owner_team=world_a.team,
        parent=team_parent,
    )
    assert child.visibility == "team"
    narrower = services.objective_create(
        org=world_a.org,
        actor=world_a.admin,
        cycle=cycle,
        title="Narrower",
        owner_type="team",
        owner_team=world_a.team,
        parent=team_parent,
        visibility="private",
    )
    assert narrower.visibility == "private"


def test_a_child_wider_than_its_parent_is_a_400_and_nothing_is_written(world_a, api, cycle, private_parent):
    before = Objective.objects.count()
    r = api(world_a.manager).post(
        f"{BASE}/objectives/",
        {
            "cycle": cycle.pk,
            "title": "Tell everyone",
            "owner_type": "team",
            "owner_team": world_a.team.pk,
            "parent": private_parent.pk,
            "visibility": "organization",
        },
        format="json",
    )
    assert r.status_code == 400
    assert "cannot be shown to more people" in " ".join(_errors(r)["visibility"])
    assert Objective.objects.count() == before
    # Widening an existing child past its parent is refused the same way.
    child = services.objective_create(
        org=world_a.org,
        actor=world_a.admin,
        cycle=cycle,
        title="Quiet child",
        owner_type="team",
        owner_team=world_a.team,
        parent=private_parent,
    )
    r = api(world_a.manager).patch(f"{BASE}/objectives/{child.pk}/", {"visibility": "team"}, format="json")
    assert r.status_code == 400 and "visibility" in _errors(r)
    child.refresh_from_db()
    assert child.visibility == "private"


def test_a_wider_child_on_the_page_is_a_form_error(world_a, web, cycle, private_parent):
    before = Objective.objects.count()
    r = web(world_a.manager).post(
        "/o/alpha/okrs/new/",
        {
            "cycle": cycle.pk,
            "title": "Tell everyone",
            "owner_type": "team",
            "owner_team": world_a.team.pk,
            "parent": private_parent.pk,
            "weight": "1",
            "commitment": "committed",
            "visibility": "organization",
        },
    )
    assert r.status_code in (200, 400)
    assert "cannot be shown to more people" in r.content.decode()
    assert "visibility" in r.context["form"].errors
    assert Objective.objects.count() == before


def test_the_form_sets_visibility_and_viewers(world_a, web, cycle):
    r = web(world_a.manager).post(
        "/o/alpha/okrs/new/",
        {
            "cycle": cycle.pk,
            "title": "Reorganise the team",
            "owner_type": "team",
            "owner_team": world_a.team.pk,
            "weight": "1",
            "commitment": "committed",
            "visibility": "private",
            "viewers": [world_a.viewer.pk],
        },
    )
    assert r.status_code == 302, r.context["form"].errors
    objective = Objective.objects.get(title="Reorganise the team")
    assert objective.visibility == "private"
    assert list(objective.viewers.all()) == [world_a.viewer]
    page = web(world_a.viewer).get(f"/o/alpha/okrs/{objective.pk}/").content.decode()
    assert 'class="badge visibility-private"' in page and world_a.viewer.display_name in page


def test_a_viewer_from_another_organisation_is_a_400(world_a, world_b, api, cycle):
    objective = make_objective(world_a.org, cycle, owner_type="team", team=world_a.team)
    before = Objective.objects.count()
    for body in (
        {"cycle": cycle.pk, "title": "X", "owner_type": "company", "visibility": "private"},
        {"cycle": cycle.pk, "title": "X", "owner_type": "company"},
    ):
        r = api(world_a.admin).post(f"{BASE}/objectives/", {**body, "viewers": [world_b.member.pk]}, format="json")
        assert r.status_code == 400
        assert "Only people of this organisation" in str(_errors(r)["viewers"])
    assert Objective.objects.count() == before
    r = api(world_a.admin).patch(
        f"{BASE}/objectives/{objective.pk}/", {"visibility": "private", "viewers": [world_b.admin.pk]}, format="json"
    )
    assert r.status_code == 400 and "viewers" in _errors(r)
    objective.refresh_from_db()
    assert objective.visibility == "organization" and not objective.viewers.exists()
    # A KPI likewise, and an id nobody has.
    kpi = make_kpi(world_a.org)
    for viewers in ([world_b.member.pk], [987654]):
        r = api(world_a.admin).patch(f"{BASE}/kpis/{kpi.pk}/", {"viewers": viewers}, format="json")
        assert r.status_code == 400 and "viewers" in _errors(r)
    assert not Kpi.objects.get(pk=kpi.pk).viewers.exists()


def test_a_kpi_takes_visibility_through_the_api_and_hides(world_a, api):
    r = api(world_a.member).post(
        f"{BASE}/kpis/",
        {
            "name": "My pipeline",
            "owner_type": "person",
            "owner_user": world_a.member.pk,
            "direction": "higher_is_better",
            "target": 10,
            "frequency": "monthly",
            "perspective": "customer",
            "visibility": "private",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["visibility"] == "private"
    pk = r.json()["id"]
    assert api(world_a.viewer).get(f"{BASE}/kpis/{pk}/").status_code == 404
    assert api(world_a.manager).get(f"{BASE}/kpis/{pk}/").status_code == 200
    page = api(world_a.manager).get(f"{BASE}/kpis/{pk}/")
    assert page.json()["viewers"] == []


def test_narrowing_a_parent_below_its_children_is_refused_naming_how_many(world_a, api, cycle):
    parent = make_objective(world_a.org, cycle, title="Grow", owner_type="team", team=world_a.team)
    for title in ("One", "Two"):
        make_objective(world_a.org, cycle, title=title, owner_type="team", team=world_a.team, parent=parent)
    r = api(world_a.admin).patch(f"{BASE}/objectives/{parent.pk}/", {"visibility": "private"}, format="json")
    assert r.status_code == 400
    assert "2 objectives counting in this one are visible to more people" in " ".join(_errors(r)["visibility"])
    parent.refresh_from_db()
    assert parent.visibility == "organization"
    # Narrow the children first, then the parent: accepted.
    Objective.objects.filter(parent=parent).update(visibility="private")
    r = api(world_a.admin).patch(f"{BASE}/objectives/{parent.pk}/", {"visibility": "private"}, format="json")
    assert r.status_code == 200, r.json()


def test_a_contribution_wider_than_its_target_is_refused(world_a, api, cycle, private_parent):
    child = make_objective(world_a.org, cycle, title="Open child", owner_type="team", team=world_a.team)
    r = api(world_a.admin).post(
        f"{BASE}/contributions/", {"child": child.pk, "parent": private_parent.pk, "weight": 1}, format="json"
    )
    assert r.status_code == 400
    assert "cannot be shown to more people" in " ".join(_errors(r)["parent"])
    assert not child.contributions.exists()
    # Narrowing the target below an objective feeding it is refused too.
    target = make_objective(world_a.org, cycle, title="Open target", owner_type="team", team=world_a.team)
    services.contribution_create(child=child, actor=None, parent=target)
    r = api(world_a.admin).patch(f"{BASE}/objectives/{target.pk}/", {"visibility": "team"}, format="json")
    assert r.status_code == 400 and "1 objective counting in this one" in " ".join(_errors(r)["visibility"])


@pytest.fixture
def stranger(world_a):
    """A member of the organisation outside Marketing."""
    user = UserFactory(email="stranger@alpha.test", name="Stranger")
    MembershipFactory(organization=world_a.org, user=user, role="member")
    place(world_a.other_team, user)
    return user


def test_mentioning_someone_who_cannot_see_the_objective_is_refused(world_a, api, web, cycle, stranger):
    objective = make_objective(world_a.org, cycle, owner_type="team", team=world_a.team)
    objective = services.objective_update(objective=objective, actor=world_a.admin, visibility="team")
    kr = make_kr(objective, owner=world_a.member)
    check_in = services.key_result_check_in(key_result=kr, actor=world_a.member, value=2, confidence=7)
    r = api(world_a.member).post(
        f"{BASE}/comments/", {"objective": objective.pk, "body": f"@[{stranger.pk}] have a look"}, format="json"
    )
    assert r.status_code == 400
    assert "Stranger may not see this objective" in " ".join(_errors(r)["body"])
    r = api(world_a.member).post(
        f"{BASE}/comments/", {"check_in": check_in.pk, "body": f"@{stranger.email} look"}, format="json"
    )
    assert r.status_code == 400 and "body" in _errors(r)
    r = web(world_a.member).post(f"/o/alpha/okrs/{objective.pk}/comments/", {"body": f"@[{stranger.pk}] hi"})
    assert "Stranger may not see this objective" in r.content.decode()
    assert not Comment.objects.exists()
    # Someone who may see it is mentioned as before.
    r = api(world_a.member).post(
        f"{BASE}/comments/", {"objective": objective.pk, "body": f"@[{world_a.manager.pk}] fyi"}, format="json"
    )
    assert r.status_code == 201, r.json()
    # An open objective: anyone of the organisation.
    open_objective = make_objective(world_a.org, cycle, title="Open")
    r = api(world_a.member).post(
        f"{BASE}/comments/", {"objective": open_objective.pk, "body": f"@[{stranger.pk}] hi"}, format="json"
    )
    assert r.status_code == 201, r.json()


def test_the_kpi_page_shows_who_can_see_it(world_a, web):
    kpi = make_kpi(world_a.org, name="Churn", owner_type="person", user=world_a.member)
    Kpi.objects.filter(pk=kpi.pk).update(visibility="team")
    page = web(world_a.manager).get(f"/o/alpha/kpis/{kpi.pk}/").content.decode()
    assert 'class="badge visibility-team"' in page
    assert web(world_a.viewer).get(f"/o/alpha/kpis/{kpi.pk}/").status_code == 404


def test_a_check_in_note_mentioning_someone_who_cannot_see_the_objective_is_refused(world_a, api, cycle, stranger):
    from django.core.exceptions import ValidationError

    from objectives.models import CheckIn

    objective = make_objective(world_a.org, cycle, owner_type="team", team=world_a.team)
    objective = services.objective_update(objective=objective, actor=world_a.admin, visibility="team")
    kr = make_kr(objective, owner=world_a.member)
    with pytest.raises(ValidationError) as exc:
        services.key_result_check_in(
            key_result=kr, actor=world_a.member, value=2, confidence=7, note="@Stranger see this"
        )
    assert "Stranger may not see this objective" in " ".join(exc.value.message_dict["note"])
    r = api(world_a.member).post(
        f"{BASE}/check-ins/",
        {"key_result": kr.pk, "value": 3, "confidence": 7, "note": f"@[{stranger.pk}] look"},
        format="json",
    )
    assert r.status_code == 400 and "Stranger may not see this objective" in " ".join(_errors(r)["note"])
    assert not CheckIn.objects.exists()
    # Someone who may see it is mentioned as before, and on an open objective anyone is.
    services.key_result_check_in(
        key_result=kr, actor=world_a.member, value=2, confidence=7, note=f"@[{world_a.manager.pk}] fyi"
    )
    open_kr = make_kr(make_objective(world_a.org, cycle, title="Open"), owner=world_a.member)
    services.key_result_check_in(key_result=open_kr, actor=world_a.member, value=2, confidence=7, note="@Stranger hi")
    assert CheckIn.objects.count() == 2
