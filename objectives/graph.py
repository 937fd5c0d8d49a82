"""The progress math of DESIGN §4 on the alignment graph, pure (no Django, no database).

Objectives count in their primary parent (with the child's weight) and in every further
objective they contribute to (with the link's weight); an ``aligned`` key result's
progress is the weighted mean of the objectives contributing to it (0 with none), and it
counts in its objective like any key result. ``solve`` computes a set of nodes in
topological order — every input before what it feeds — from what lies outside the set
(summed by the caller) and what inside it is computed first. The incremental rollup
(``objectives.rollup``) solves the ancestors a burst reaches; the reconcile
(``objectives.reconcile``) solves the whole organisation. One function, so the two cannot
disagree.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from objectives.progress import progress_from_sums

# The kinds of an edge's target: an objective, or an ``aligned`` key result.
TO_OBJECTIVE = "o"
TO_KEY_RESULT = "k"


class LoopError(RuntimeError):
    """The alignment graph loops (the services refuse it; corrupted data must not hang)."""


@dataclass(frozen=True)
class Edge:
    """``child`` counts in ``target`` (an objective or an aligned key result) with ``weight``."""

    child: int
    kind: str
    target: int
    weight: float


@dataclass
class Graph:
    """The nodes to compute and their inputs.

    ``base``: per objective, ``(Σ w·p, Σ w)`` of what is not computed here (its ordinary key
    results, and children outside the set when the caller sums them); ``aligned_base``: the
    same per aligned key result (contributors outside the set). ``aligned``: per objective,
    its aligned key results as ``(key result id, weight)``. ``edges``: from objectives of the
    set to targets of the set. ``counts``: whether an objective of the set counts in what it
    feeds (not draft, not cancelled). ``frozen`` / ``frozen_key_results``: stored values that
    stay (closed cycles)."""

    base: dict[int, tuple[float, float]]
    aligned_base: dict[int, tuple[float, float]] = field(default_factory=dict)
    aligned: dict[int, list[tuple[int, float]]] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    counts: dict[int, bool] = field(default_factory=dict)
    frozen: dict[int, float] = field(default_factory=dict)
    frozen_key_results: dict[int, float] = field(default_factory=dict)
    children_contribute: bool = True


def _order(graph: Graph) -> list[tuple[str, int]]:
    """Kahn's topological order of objectives (``o``) and aligned key results (``k``)."""
    nodes: list[tuple[str, int]] = [(TO_OBJECTIVE, oid) for oid in sorted(graph.base)]
    nodes += [(TO_KEY_RESULT, kid) for oid in sorted(graph.aligned) for kid, _w in graph.aligned[oid]]
    out: dict[tuple[str, int], list[tuple[str, int]]] = {n: [] for n in nodes}
    indegree: dict[tuple[str, int], int] = dict.fromkeys(nodes, 0)
    for oid, krs in graph.aligned.items():
        for kid, _w in krs:
            out[(TO_KEY_RESULT, kid)].append((TO_OBJECTIVE, oid))
            indegree[(TO_OBJECTIVE, oid)] += 1
    for e in graph.edges:
        out[(TO_OBJECTIVE, e.child)].append((e.kind, e.target))
        indegree[(e.kind, e.target)] += 1
    ready = deque(n for n in nodes if indegree[n] == 0)
    order: list[tuple[str, int]] = []
    while ready:
        node = ready.popleft()
        order.append(node)
        for nxt in out[node]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    if len(order) < len(nodes):
        stuck = sorted(oid for (kind, oid), d in indegree.items() if d and kind == TO_OBJECTIVE)
        raise LoopError(f"the alignment graph loops through objectives {stuck[:10]}")
    return order


def solve(graph: Graph) -> tuple[dict[int, float], dict[int, float]]:
    """(progress per objective, progress per aligned key result) of the set, from its inputs."""
    inputs: dict[tuple[str, int], list[tuple[float, float]]] = {}
    progress: dict[int, float] = {}
    aligned: dict[int, float] = {}
    by_child: dict[int, list[Edge]] = {}
    for e in graph.edges:
        by_child.setdefault(e.child, []).append(e)
    for kind, nid in _order(graph):
        terms = inputs.get((kind, nid), [])
        if kind == TO_KEY_RESULT:
            num, den = graph.aligned_base.get(nid, (0.0, 0.0))
            value = graph.frozen_key_results.get(nid)
            if value is None:
                value = progress_from_sums(num + sum(w * p for p, w in terms), den + sum(w for _p, w in terms))
            aligned[nid] = value
            continue
        num, den = graph.base[nid]
        for kid, weight in graph.aligned.get(nid, ()):
            if weight > 0:
                num, den = num + weight * aligned[kid], den + weight
        if graph.children_contribute:
            num, den = num + sum(w * p for p, w in terms), den + sum(w for _p, w in terms)
        value = graph.frozen.get(nid)
        progress[nid] = progress_from_sums(num, den) if value is None else value
        if graph.counts.get(nid, True):
            for e in by_child.get(nid, ()):
                if e.weight > 0:
                    inputs.setdefault((e.kind, e.target), []).append((progress[nid], e.weight))
    return progress, aligned
