"""The visibility matrix (issue 25, DESIGN §3): every tenant route that names an objective, a
KPI or something that follows one (key results, check-ins, initiatives, comments, reactions,
measurements, contributions…), read and written by eight people of the organisation, once
with everything open and once with the objective and the KPI restricted.

A person the rule lets see the restricted object gets exactly the answer they got while it
was open; anyone else gets a 404, on every method (a write included), and its lists (API
and pages) leave the object out. The routes come from Django's resolver and each argument's
kind from ``tenant_matrix`` (as for the isolation matrix), and what a row follows from the
models' ``visibility_paths``, so a new route or a new model following an objective is
covered without editing this file.

Who may see what is written out by hand below (``SEES``), not computed with the filter
under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Model
from django.urls import reverse

from kpis.models import Kpi
from objectives.models import Objective
from orgs.visibility import Visibility
from tests.factories import MembershipFactory, UserFactory, place
from tests.orgs.tenant_matrix import Catalogue, Route, populate, tenant_routes
from tests.orgs.test_isolation_matrix import _send

pytestmark = pytest.mark.django_db

PERSONAS = ("admin", "manager", "member", "viewer", "named", "teammate", "outside", "former")

# The catalogue's first objective is the Marketing team's "Win the market" (the member owns its
# key results); its first KPI is the member's own "Qualified leads". Who sees them once they
# are restricted, by the rule of DESIGN §3:
# - private: a team-owned objective is seen by that team's members and managers, admins and
#   the viewers named; a person's KPI by its owner, the managers of the owner's teams, admins
#   and the viewers named;
# - team: the owner team's subtree (for a person's KPI, the teams the owner belongs to), the
#   managers at and above it, and admins. Named viewers count only for private.
SEES: dict[str, dict[str, set[str]]] = {
    Visibility.PRIVATE: {
        "objective": {"admin", "manager", "member", "named", "teammate"},
        "kpi": {"admin", "manager", "member", "named"},
    },
    Visibility.TEAM: {
        "objective": {"admin", "manager", "member", "teammate"},
        "kpi": {"admin", "manager", "member", "teammate"},
    },
}

MISSING_ID = 987654321
MARK_OBJECTIVE = "vis-marker-objective"
MARK_KPI = "vis-marker-kpi"


@dataclass
class Scene:
    cat: Catalogue
    objective: Objective
    kpi: Kpi
    people: dict[str, Any]


@pytest.fixture
def scene(world_a) -> Scene:
    w = world_a
    cat = populate(w)
    people = {"admin": w.admin, "manager": w.manager, "member": w.member, "viewer": w.viewer}
    for name, team in (("named", None), ("teammate", w.team), ("outside", w.other_team), ("former", None)):
        user = UserFactory(email=f"{name}@alpha.test", name=name.title())
        MembershipFactory(organization=w.org, user=user, role="member")
        if team is not None:
            place(team, user)
        people[name] = user
    objective = cat.first(Objective)
    kpi = cat.first(Kpi)
    Objective.objects.filter(pk=objective.pk).update(title=f"Win the market {MARK_OBJECTIVE}")
    Kpi.objects.filter(pk=kpi.pk).update(name=f"Qualified leads {MARK_KPI}")
    for obj in (objective, kpi):
        obj.refresh_from_db()
        obj.viewers.set([people["former"]])
        obj.viewers.set([people["named"]])  # the former viewer was named once, then removed
    return Scene(cat, objective, kpi, people)


def _restrict(scene: Scene, visibility: str) -> None:
    for obj in (scene.objective, scene.kpi):
        type(obj).objects.filter(pk=obj.pk).update(visibility=visibility)
        obj.visibility = visibility


def _roots(obj: Model) -> list[Model]:
    """The objectives and KPIs a row follows (``visibility_paths``)."""
    found = []
    for path in getattr(type(obj), "visibility_paths", ()):
        target: Any = obj
        for part in [p for p in path.split("__") if p]:
            target = getattr(target, part, None)
            if target is None:
                break
        if target is not None:
            found.append(target)
    return found


def _follows(scene: Scene, row: Model) -> set[str]:
    """Which of the restricted objective and KPI ``row`` follows ("objective", "kpi")."""
    found = set()
    for root in _roots(row):
        if isinstance(root, Objective) and root.pk == scene.objective.pk:
            found.add("objective")
        if isinstance(root, Kpi) and root.pk == scene.kpi.pk:
            found.add("kpi")
    return found


def _covered_routes(scene: Scene, user) -> list[tuple[Route, dict[str, object], set[str]]]:
    """Routes aimed at a row following the restricted objective or KPI, with the ids and which
    of the two ("objective", "kpi") the row follows."""
    out = []
    for route in tenant_routes():
        if not route.kwargs:
            continue
        ids, follows = {}, set()
        for kw, kind in route.kinds.items():
            target = scene.cat.targets(kind, user)[0]
            ids[kw] = getattr(target, kind.attr)
            follows |= _follows(scene, target)
        if follows:
            out.append((route, ids, follows))
    return out


def _methods(route: Route) -> tuple[str, ...]:
    return ("get", "post", "patch", "delete") if route.is_api else ("get", "post")


def _status(client, method: str, url: str, *, api: bool) -> int:
    """The answer to one request, whose writes are rolled back: every request meets the same rows."""
    with transaction.atomic():
        status = _send(client, method, url, api=api).status_code
        transaction.set_rollback(True)
    return status


def _walk(scene: Scene, persona: str, html, api_client) -> dict[tuple[str, str], int]:
    user = scene.people[persona]
    answers = {}
    for route, ids, _follows in _covered_routes(scene, user):
        url = route.url(scene.cat.org.slug, ids)
        c = api_client if route.is_api else html
        for method in _methods(route):
            answers[(method, url)] = _status(c, method, url, api=route.is_api)
    return answers


@pytest.mark.parametrize("visibility", [Visibility.PRIVATE, Visibility.TEAM])
@pytest.mark.parametrize("persona", PERSONAS)
def test_restricted_objects_answer_404_exactly_to_those_who_may_not_see_them(persona, visibility, scene, client, api):
    user = scene.people[persona]
    client.force_login(user)
    api_client = api(user)
    routes = _covered_routes(scene, user)
    labels = {r.viewset_model._meta.label if r.viewset_model else r.key for r, _i, _f in routes}
    assert len(routes) >= 30, len(routes)
    assert {"objectives.KeyResult", "objectives.CheckIn", "conversations.Comment", "kpis.Measurement"} <= labels
    open_answers = _walk(scene, persona, client, api_client)
    _restrict(scene, visibility)
    restricted = _walk(scene, persona, client, api_client)
    slug = scene.cat.org.slug
    follows = {route.url(slug, ids): f for route, ids, f in routes}
    unknown = {route.url(slug, ids): route.url(slug, dict.fromkeys(ids, MISSING_ID)) for route, ids, _f in routes}
    failures = []
    for (method, url), before in open_answers.items():
        sees = all(persona in SEES[visibility][kind] for kind in follows[url])
        expected = before if sees else 404
        got = restricted[(method, url)]
        # A refusal given before any object is read (a method the route never serves, a viewer's
        # write) says nothing: it is the answer an id that does not exist gets.
        if got != expected and got in (403, 405) and got == before:
            is_api = url.startswith("/api/")
            expected = _status(api_client if is_api else client, method, unknown[url], api=is_api)
        if got != expected:
            failures.append(f"{method.upper()} {url} as {persona} ({visibility}): {got}, expected {expected}")
    assert not failures, "\n".join(failures)
    assert len(open_answers) >= 100


def _api_list_ids(api_client, url: str) -> set[int]:
    ids: set[int] = set()
    while url:
        body = api_client.get(url).json()
        rows = body["results"] if isinstance(body, dict) else body
        ids |= {row["id"] for row in rows}
        url = body.get("next") if isinstance(body, dict) else None
    return ids


@pytest.mark.parametrize("visibility", [Visibility.PRIVATE, Visibility.TEAM])
@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_leave_out_what_the_person_may_not_see(persona, visibility, scene, client, api):
    """Every API list of a model that follows an objective or KPI holds the rows following the
    restricted ones exactly for those who may see them; so do the OKR and KPI pages."""
    user = scene.people[persona]
    client.force_login(user)
    api_client = api(user)
    _restrict(scene, visibility)
    failures, lists = [], 0
    for route in tenant_routes():
        model = route.viewset_model
        if not route.is_api or route.kwargs or model is None or not getattr(model, "visibility_paths", None):
            continue
        if "get" not in getattr(route.callback, "actions", {}) or route.callback.actions.get("get") != "list":
            continue
        rows = scene.cat.rows.get(model, [])
        following = {r.pk: _follows(scene, r) for r in rows}
        shown = _api_list_ids(api_client, route.url(scene.cat.org.slug))
        lists += 1
        for pk, kinds in following.items():
            sees = all(persona in SEES[visibility][k] for k in kinds)
            if (pk in shown) != sees:
                failures.append(f"{route.key} as {persona}: row {pk} {'missing' if sees else 'listed'}")
    assert lists >= 8, lists
    cycle = scene.objective.cycle_id
    slug = scene.cat.org.slug
    for url, mark, kind in (
        (reverse("objectives:cycle", args=[slug]) + f"?cycle={cycle}", MARK_OBJECTIVE, "objective"),
        (reverse("kpis:library", args=[slug]), MARK_KPI, "kpi"),
    ):
        body = client.get(url).content.decode()
        if (mark in body) != (persona in SEES[visibility][kind]):
            failures.append(f"{url} as {persona}: {'shows' if mark in body else 'hides'} the {kind}")
    assert not failures, "\n".join(failures)
