"""An objective's alignment graph for its page (DESIGN §4): every objective it feeds up to the
company — through its primary parent and its contributions — and everything feeding it below,
each link with its weight and its share of what it feeds ("contributes 25 %": the link's
weight over everything that objective or aligned key result counts).

A fixed number of queries whatever the size: the neighbourhood (one recursive statement),
its objectives, the contribution links out of them, the weights every fed node counts (one
aggregate), the team names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Sum

from objectives import progress as progress_math
from objectives.alignment import neighbourhood
from objectives.models import Contribution, KeyResult, Objective, ObjectiveStatus
from objectives.restricted import hidden_objectives, restricted_label, shows_count_only
from orgs.models import Membership, Organization, Team
from orgs.ownership import owner_name

LEFT_OUT = progress_math.LEFT_OUT_OF_PARENT


@dataclass
class Link:
    """``child`` counts in ``target`` (an objective) — or in its aligned key result ``kr_title``."""

    child: int
    target: int
    weight: float
    primary: bool = False
    kr_id: int | None = None
    kr_title: str = ""
    kr_progress: float = 0.0
    share: float | None = None  # of the objective or key result it feeds; None: it does not count


@dataclass
class Graph:
    objectives: dict[int, Objective]
    links: list[Link]
    team_names: dict[int, str]
    children_contribute: bool
    shown: set[int] = field(default_factory=set)
    hidden: dict[int, float] = field(default_factory=dict)  # what the reader may not see
    count_only: bool = False  # the organisation shows a restricted objective without its progress


def _links(org: Organization, objectives: dict[int, Objective]) -> list[Link]:
    links = [
        Link(o.pk, o.parent_id, o.weight, primary=True)
        for o in objectives.values()
        if o.parent_id is not None and o.parent_id in objectives
    ]
    rows = Contribution.objects.filter(organization=org, child_id__in=list(objectives)).values_list(
        "child_id",
        "parent_id",
        "weight",
        "key_result_id",
        "key_result__objective_id",
        "key_result__title",
        "key_result__progress",
    )
    for child, parent, weight, kr_id, kr_objective, kr_title, kr_progress in rows:
        target = parent if parent is not None else kr_objective
        if target in objectives:
            links.append(
                Link(child, target, weight, kr_id=kr_id, kr_title=kr_title or "", kr_progress=kr_progress or 0)
            )
    return links


def _totals(org: Organization, ids: list[int]) -> tuple[dict[int, float], dict[int, float], dict[int, float]]:
    """What every objective counts in its mean: the weights of its key results, of its counted
    children, of its counted contributors; and of every aligned key result's contributors."""
    krs = dict(
        KeyResult.objects.filter(organization=org, objective_id__in=ids)
        .values("objective_id")
        .annotate(w=Sum("weight"))
        .values_list("objective_id", "w")
    )
    inputs: dict[int, float] = {}
    children = (
        Objective.objects.filter(organization=org, parent_id__in=ids)
        .exclude(status__in=LEFT_OUT)
        .values("parent_id")
        .annotate(w=Sum("weight"))
        .values_list("parent_id", "w")
    )
    for parent_id, w in children:
        inputs[parent_id] = inputs.get(parent_id, 0.0) + (w or 0.0)
    aligned: dict[int, float] = {}
    links = Contribution.objects.filter(organization=org).exclude(child__status__in=LEFT_OUT)
    for parent_id, w in links.filter(parent_id__in=ids).values_list("parent_id", "weight"):
        inputs[parent_id] = inputs.get(parent_id, 0.0) + w
    for _p, kr_id, w in links.filter(key_result__objective_id__in=ids).values_list(
        "parent_id", "key_result_id", "weight"
    ):
        aligned[kr_id] = aligned.get(kr_id, 0.0) + w
    return krs, inputs, aligned


def _shares(graph: Graph, org: Organization) -> None:
    krs, inputs, aligned = _totals(org, list(graph.objectives))
    for link in graph.links:
        child = graph.objectives[link.child]
        if child.status in LEFT_OUT:
            continue
        if link.kr_id is not None:
            total = aligned.get(link.kr_id, 0.0)
        elif graph.children_contribute:
            total = (krs.get(link.target) or 0.0) + inputs.get(link.target, 0.0)
        else:
            continue
        link.share = link.weight / total if total > 0 else None


def _restricted_node(graph: Graph, o: Objective) -> dict[str, Any]:
    """A node the reader may not see: "a restricted objective", with its progress unless the
    organisation shows only that it is there; never its title, owner or health."""
    progress = None if graph.count_only else o.progress
    return {
        "id": o.pk,
        "title": restricted_label(1, progress),
        "owner_type": "",
        "owner_name": None,
        "progress": progress or 0.0,
        "status": "",
        "health": None,
        "closed": False,
        "grade": None,
        "restricted": True,
    }


def _node(graph: Graph, oid: int, today: date, org: Organization) -> dict[str, Any]:
    o = graph.objectives[oid]
    if oid in graph.hidden:
        return _restricted_node(graph, o)
    team = graph.team_names.get(o.owner_team_id) if o.owner_team_id else None
    user = o.owner_user
    closed = o.cycle is not None and o.cycle.is_closed
    return {
        "id": o.pk,
        "title": o.title,
        "owner_type": o.owner_type,
        "owner_name": owner_name(
            o.owner_type, team_name=team, user_name=user.name if user else "", user_email=user.email if user else ""
        ),
        "progress": o.progress,
        "status": o.status,
        "health": None if closed else (o.health(today, org=org) or None),
        "closed": closed,
        "grade": None
        if o.grade is None
        else {"value": o.grade, "achieved": progress_math.achieved(grade=o.grade, commitment=o.commitment)},
    }


def _walk(graph: Graph, oid: int, *, today: date, org: Organization, trail: frozenset[int]) -> dict[str, Any]:
    """The node and, once per objective on the page, the links into it from below."""
    node = _node(graph, oid, today, org)
    node["links"] = []
    if oid in graph.shown and trail:
        node["repeated"] = True
        return node
    graph.shown.add(oid)
    for link in graph.links:
        if link.target != oid or link.child in trail:
            continue
        sub = _walk(graph, link.child, today=today, org=org, trail=trail | {oid})
        node["links"].append({"link": link, "node": sub})
    return node


def alignment_graph(*, org: Organization, objective: Objective, reader: Membership | None = None) -> dict[str, Any]:
    """``{"levels": rows, "down": node}``: what the objective feeds, transitively, row by row
    from the top (``_levels``), and the objective with what feeds it, as a tree. Each node is
    ``{"id", "title", "owner_type", "owner_name", "progress", "status", "health", "closed",
    "grade"}`` with its ``feeds`` (rows) or ``links`` (tree: ``[{"link", "node"}]``, a node
    met again marked ``repeated``, its links shown once). For a ``reader``, an objective they
    may not see is a node marked ``restricted``, "1 restricted objective, 40%" (DESIGN §3);
    shares and progress are the same for everyone."""
    above, below = neighbourhood(org.pk, objective.pk)
    ids = above | below | {objective.pk}
    objectives = {
        o.pk: o
        for o in Objective.objects.filter(organization=org, pk__in=ids)
        .exclude(status=ObjectiveStatus.CANCELLED)
        .select_related("cycle", "owner_user")
    }
    objectives[objective.pk] = objective
    graph = Graph(
        objectives=objectives,
        links=_links(org, objectives),
        team_names=dict(Team.objects.filter(organization=org).values_list("id", "name")),
        children_contribute=org.children_contribute,
        hidden=hidden_objectives(reader) if reader is not None else {},
        count_only=reader is not None and shows_count_only(reader),
    )
    for link in graph.links:  # an aligned key result of an objective the reader may not see
        if link.target in graph.hidden:
            link.kr_title = ""
    _shares(graph, org)
    today = org.today()
    down = _walk(graph, objective.pk, today=today, org=org, trail=frozenset())
    return {"levels": _levels(graph, objective.pk, today, org), "down": down}


def _levels(graph: Graph, focus: int, today: date, org: Organization) -> list[list[dict[str, Any]]]:
    """What the objective feeds, as rows from the top (the farthest above it) down to the
    objective itself: each objective on the row of its longest path from the objective, with
    its links to the objectives it feeds (above it)."""
    feeds: dict[int, list[Link]] = {}
    for link in graph.links:
        feeds.setdefault(link.child, []).append(link)
    level: dict[int, int] = {focus: 0}
    todo = [focus]
    while todo:  # longest path upwards; the graph is acyclic, the bound guards bad data
        oid = todo.pop()
        for link in feeds.get(oid, ()):
            if level[oid] + 1 > level.get(link.target, -1) and level[oid] < len(graph.objectives):
                level[link.target] = level[oid] + 1
                todo.append(link.target)
    rows: list[list[dict[str, Any]]] = [[] for _ in range(max(level.values()) + 1)]
    for oid in sorted(level, key=lambda o: graph.objectives[o].title):
        node = _node(graph, oid, today, org)
        node["feeds"] = [
            {"link": link, "target": _title(graph, link.target)} for link in feeds.get(oid, ()) if link.target in level
        ]
        rows[level[oid]].append(node)
    rows.reverse()
    return rows


def _title(graph: Graph, oid: int) -> str:
    if oid in graph.hidden:
        return restricted_label(1, None if graph.count_only else graph.objectives[oid].progress)
    return graph.objectives[oid].title
