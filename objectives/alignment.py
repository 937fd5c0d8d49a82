"""Reads of the alignment graph (DESIGN §4): what an objective feeds, and the path by which
one objective reaches another — the services' loop check names it."""

from __future__ import annotations

from collections import deque

from django.db import connection
from django.db.models import Count

from objectives.models import Contribution, KeyResult, Objective


def feeds(org_id: int) -> dict[int, list[int]]:
    """{objective id: the objectives it feeds directly} — its primary parent, the objectives it
    contributes to and the objectives of the key results it contributes to. Three queries."""
    out: dict[int, list[int]] = {}
    for oid, parent_id in Objective.objects.filter(organization_id=org_id, parent__isnull=False).values_list(
        "id", "parent_id"
    ):
        out.setdefault(oid, []).append(parent_id)
    kr_objective = dict(
        KeyResult.objects.filter(organization_id=org_id, contributors__isnull=False)
        .distinct()
        .values_list("id", "objective_id")
    )
    for child, parent, kr in Contribution.objects.filter(organization_id=org_id).values_list(
        "child_id", "parent_id", "key_result_id"
    ):
        target = parent if parent is not None else kr_objective.get(kr)
        if target is not None:
            out.setdefault(child, []).append(target)
    return out


def path_between(org_id: int, start: int, goal: int) -> list[int] | None:
    """The shortest chain of objective ids from ``start`` to ``goal`` along what each feeds
    (both ends included), or None when ``start`` does not reach ``goal``."""
    if start == goal:
        return [start]
    graph = feeds(org_id)
    came_from: dict[int, int] = {start: start}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        for nxt in graph.get(node, ()):
            if nxt in came_from:
                continue
            came_from[nxt] = node
            if nxt == goal:
                path = [goal]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1]
            todo.append(nxt)
    return None


def path_titles(org_id: int, path: list[int]) -> str:
    """``A → B → C`` for a chain of objective ids."""
    titles = dict(Objective.objects.filter(organization_id=org_id, pk__in=path).values_list("id", "title"))
    return " → ".join(f"“{titles.get(oid, oid)}”" for oid in path)


def neighbourhood(org_id: int, objective_id: int) -> tuple[set[int], set[int]]:
    """(every objective ``objective_id`` feeds, transitively; every objective feeding it,
    transitively), neither holding the objective itself, in one statement."""
    o, c, k = Objective._meta.db_table, Contribution._meta.db_table, KeyResult._meta.db_table
    sql = f"""
        WITH RECURSIVE edge(src, dst) AS (
            SELECT id, parent_id FROM {o} WHERE organization_id = %s AND parent_id IS NOT NULL
            UNION ALL
            SELECT child_id, parent_id FROM {c} WHERE organization_id = %s AND parent_id IS NOT NULL
            UNION ALL
            SELECT l.child_id, k.objective_id FROM {c} l JOIN {k} k ON k.id = l.key_result_id
            WHERE l.organization_id = %s
        ),
        up(id) AS (
            SELECT CAST(%s AS bigint) UNION SELECT edge.dst FROM edge JOIN up ON edge.src = up.id
        ),
        down(id) AS (
            SELECT CAST(%s AS bigint) UNION SELECT edge.src FROM edge JOIN down ON edge.dst = down.id
        )
        SELECT 'u', id FROM up UNION ALL SELECT 'd', id FROM down
    """  # noqa: S608 — table names from model metadata
    with connection.cursor() as cursor:
        cursor.execute(sql, [org_id, org_id, org_id, objective_id, objective_id])
        rows = cursor.fetchall()
    up = {oid for tag, oid in rows if tag == "u"} - {objective_id}
    down = {oid for tag, oid in rows if tag == "d"} - {objective_id}
    return up, down


def contribution_counts(org_id: int, cycle_id: int) -> dict[int, int]:
    """{objective id: how many further objectives or key results it contributes to} for the
    cycle's objectives that contribute anywhere, in one query."""
    rows = (
        Contribution.objects.filter(organization_id=org_id, child__cycle_id=cycle_id)
        .values("child_id")
        .annotate(n=Count("id"))
        .values_list("child_id", "n")
    )
    return dict(rows)


def contributors_of(key_result_ids: list[int]) -> dict[int, list[Contribution]]:
    """{aligned key result id: its contribution links, each with its objective} in one query
    (none without ids): the owner sees which objectives feed it."""
    if not key_result_ids:
        return {}
    found: dict[int, list[Contribution]] = {}
    links = Contribution.objects.filter(key_result_id__in=key_result_ids).select_related("child").order_by("id")
    for link in links:
        if link.key_result_id is not None:
            found.setdefault(link.key_result_id, []).append(link)
    return found


def fed_through_contributions(org_id: int, objective_id: int) -> set[int]:
    """The objectives ``objective_id`` feeds through its contributions (the objectives it
    contributes to, those holding the aligned key results it contributes to), in one query."""
    rows = Contribution.objects.filter(organization_id=org_id, child_id=objective_id).values_list(
        "parent_id", "key_result__objective_id"
    )
    fed: set[int] = set()
    for parent, via_kr in rows:
        target = parent if parent is not None else via_kr
        if target is not None:
            fed.add(target)
    return fed
