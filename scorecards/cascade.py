"""The cascade document of DESIGN §6: the cycle's aligned objectives as a tree
with progress and health, and every team's own and subtree progress, live or
as of a day. Read from the ``objectives.tree`` selectors: three queries
whatever the size of the organisation (objectives with their owners, key
results, teams with their people or snapshots)."""

from __future__ import annotations

from datetime import date
from typing import Any

from cycles.models import Cycle
from objectives import forecasts as forecast_reads
from objectives import progress as progress_math
from objectives.models import Objective
from objectives.restricted import hidden_objectives, redact_tree
from objectives.tree import (
    ObjectiveRow,
    key_result_rows,
    mean_or_none,
    objective_rows,
    team_progress,
    teams_with_people,
)
from orgs.models import Membership, Organization
from orgs.ownership import OwnerType
from scorecards.owners import row_owner_name


def closed_grades(*, org: Organization, cycle: Cycle) -> dict[int, dict[str, Any]]:
    """{objective id: {"value": grade, "achieved": bool}} of a closed cycle's graded objectives."""
    rows = Objective.objects.filter(organization=org, cycle=cycle, grade__isnull=False)
    return {
        oid: {"value": grade, "achieved": progress_math.achieved(grade=grade, commitment=commitment)}
        for oid, grade, commitment in rows.values_list("id", "grade", "commitment")
        if grade is not None  # always, by the filter: said again for the type checker
    }


def _objective_nodes(
    *,
    org: Organization,
    cycle: Cycle,
    objectives: list[ObjectiveRow],
    krs: dict[int, list[dict[str, Any]]],
    day: date,
    closed: bool,
    grades: dict[int, dict[str, Any]],
    forecasts: dict[int, dict[str, Any]],
) -> list[dict[str, Any]]:
    """The objectives as a tree under their parents (an objective whose parent is not shown is
    a root), with progress, health (or, closed, the grade) and key results."""
    by_parent: dict[int | None, list[ObjectiveRow]] = {}
    present = {o.id for o in objectives}
    for o in objectives:
        by_parent.setdefault(o.parent if o.parent in present else None, []).append(o)

    def node(o: ObjectiveRow, trail: frozenset[int]) -> dict[str, Any]:
        health = o.health(org=org, cycle=cycle, on=day, closed=closed)
        return {
            "id": o.id,
            "title": o.title,
            "owner_type": o.owner_type,
            "owner_team": o.owner_team,
            "owner_user": o.owner_user,
            "progress": o.progress,
            "health": health,
            "grade": grades.get(o.id),
            "forecast": forecasts.get(o.id),
            "key_results": krs.get(o.id, []),
            "children": [node(c, trail | {o.id}) for c in by_parent.get(o.id, []) if c.id not in trail],
            "restricted": None,
        }

    return [node(o, frozenset()) for o in by_parent.get(None, [])]


def _team_nodes(
    *, teams: list[tuple[int, int | None, str]], values: dict[int, tuple[float | None, float | None]]
) -> list[dict[str, Any]]:
    """The team tree with each team's own and subtree progress (``values``)."""
    team_children: dict[int | None, list[tuple[int, int | None, str]]] = {}
    known = {t[0] for t in teams}
    for t in teams:
        team_children.setdefault(t[1] if t[1] in known else None, []).append(t)

    def team_node(t: tuple[int, int | None, str], trail: frozenset[int]) -> dict[str, Any]:
        prog, subtree = values.get(t[0], (None, None))
        return {
            "id": t[0],
            "name": t[2],
            "progress": prog,
            "subtree_progress": subtree,
            "children": [team_node(c, trail | {t[0]}) for c in team_children.get(t[0], []) if c[0] not in trail],
        }

    return [team_node(t, frozenset()) for t in team_children.get(None, [])]


def _owner_names(*, objectives: list[ObjectiveRow], team_names: dict[int, str]) -> dict[str, Any]:
    """Names for the owners' ids in the nodes: {"teams": {id: name}, "people": {id: name}}."""
    people = {o.owner_user: row_owner_name(o, team_names) for o in objectives if o.owner_user is not None}
    return {"teams": dict(team_names), "people": people}


def _forecasts(*, org: Organization, cycle: Cycle) -> dict[int, dict[str, Any]]:
    """{objective id: its forecast's five figures} (``objectives.forecasts``, cached by the data
    version: two queries when not)."""
    doc = forecast_reads.cycle_forecast(org=org, cycle=cycle)
    return {oid: forecast_reads.as_dict(f) for oid, f in doc.objectives.items()}


def cascade(
    *, org: Organization, cycle: Cycle, as_of: date | None = None, with_forecasts: bool = True
) -> dict[str, Any]:
    """The cascade document of DESIGN §6 (``as_of``: from that day's snapshots). A node's
    ``forecast`` is where it will land at the cycle's end, live in an open cycle (null as of a
    past day or once closed); ``with_forecasts`` False leaves them out (the benchmark's baseline)."""
    objectives = objective_rows(org=org, cycle=cycle, as_of=as_of)
    krs = key_result_rows(org=org, objective_ids=[o.id for o in objectives], as_of=as_of)
    day = as_of or org.today()
    expected = progress_math.expected_progress(start=cycle.start_date, end=cycle.end_date, on=day)
    teams, people, snaps = teams_with_people(org=org, cycle=cycle, as_of=as_of)
    team_names = {tid: name for tid, _parent, name in teams}
    # A closed cycle, shown live, reads as closed: grades instead of health (one more query).
    closed = as_of is None and cycle.is_closed
    grades = closed_grades(org=org, cycle=cycle) if closed else {}
    live = as_of is None and not cycle.is_closed and with_forecasts
    forecasts = _forecasts(org=org, cycle=cycle) if live else {}
    if as_of is None:
        values = team_progress(objectives=objectives, teams=teams, people=people)
    else:
        values = {tid: snaps.get(tid, (None, None)) for tid, _p, _n in teams}
    company = [o.progress for o in objectives if o.owner_type == OwnerType.COMPANY]
    return {
        "cycle": cycle.pk,
        "as_of": as_of.isoformat() if as_of else None,
        "closed": closed,
        "before_first_snapshot": as_of is not None and not objectives,
        "progress": mean_or_none(company),
        "expected": expected,
        "restricted": None,
        "objectives": _objective_nodes(
            org=org,
            cycle=cycle,
            objectives=objectives,
            krs=krs,
            day=day,
            closed=closed,
            grades=grades,
            forecasts=forecasts,
        ),
        "teams": _team_nodes(teams=teams, values=values),
        "owner_names": _owner_names(objectives=objectives, team_names=team_names),
    }


def for_reader(doc: dict[str, Any], m: Membership) -> dict[str, Any]:
    """The cascade document as ``m`` may read it (DESIGN §3): the objectives ``m`` may not see
    become neutral rows ("2 restricted objectives, 55 %"), each under the node it aligns to
    (``restricted``, the roots' at the top), and their owners leave ``owner_names``. Every
    figure — company, team and every shown node's progress — stays as it is for everyone.
    The document given (cached for the organisation) is not changed."""
    hidden = hidden_objectives(m, cycle_id=doc["cycle"])
    if not hidden:
        return {**doc, "restricted": None}
    nodes, row = redact_tree(m, doc["objectives"], hidden=hidden)
    owners: set[int] = set()

    def walk(items: list[dict[str, Any]]) -> None:
        for node in items:
            if node.get("owner_user") is not None:
                owners.add(node["owner_user"])
            walk(node["children"])

    walk(nodes)
    names = doc["owner_names"]
    people = {uid: name for uid, name in names["people"].items() if int(uid) in owners}
    return {**doc, "objectives": nodes, "restricted": row, "owner_names": {**names, "people": people}}
