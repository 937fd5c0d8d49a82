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
from typing import NamedTuple

from objectives.progress import progress_from_sums

# The kinds of an edge's target: an objective, or an ``aligned`` key result.
TO_OBJECTIVE = "o"
TO_KEY_RESULT = "k"


class LoopError(RuntimeError):
    """The alignment graph loops (the services refuse it; corrupted data must not hang)."""


class Edge(NamedTuple):
    """``child`` counts in ``target`` (an objective or an aligned key result) with ``weight``.
    A named tuple: the reconcile builds one per objective, and a tuple costs a fraction of a
    frozen dataclass to make."""

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


def _order(graph: Graph) -> list[int]:
    """Kahn's topological order of objectives and aligned key results, each as one int: an
    objective ``2·id``, an aligned key result ``2·id + 1`` (dicts of ints hash faster than
    dicts of tuples, which counts on organisations of 20,000 objectives)."""
    nodes = [2 * oid for oid in sorted(graph.base)]
    nodes += [2 * kid + 1 for oid in sorted(graph.aligned) for kid, _w in graph.aligned[oid]]
    out: dict[int, list[int]] = {n: [] for n in nodes}
    indegree: dict[int, int] = dict.fromkeys(nodes, 0)
    for oid, krs in graph.aligned.items():
        for kid, _w in krs:
            out[2 * kid + 1].append(2 * oid)
            indegree[2 * oid] += 1
    for child, kind, target_id, _weight in graph.edges:
        target = 2 * target_id + (kind == TO_KEY_RESULT)
        out[2 * child].append(target)
        indegree[target] += 1
    ready = deque(n for n in nodes if indegree[n] == 0)
    order: list[int] = []
    while ready:
        node = ready.popleft()
        order.append(node)
        for nxt in out[node]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    if len(order) < len(nodes):
        stuck = sorted(n // 2 for n, d in indegree.items() if d and not n % 2)
        raise LoopError(f"the alignment graph loops through objectives {stuck[:10]}")
    return order


def solve(graph: Graph) -> tuple[dict[int, float], dict[int, float]]:
    """(progress per objective, progress per aligned key result) of the set, from its inputs.

    What each node's computed inputs add up to is kept as running sums (Σ w·p, Σ w) in the
    order the inputs arrive, the order the sums over lists of terms used."""
    fed_num: dict[int, float] = {}
    fed_den: dict[int, float] = {}
    progress: dict[int, float] = {}
    aligned: dict[int, float] = {}
    by_child: dict[int, list[tuple[int, float]]] = {}
    for child, kind, target_id, weight in graph.edges:
        if weight > 0:
            by_child.setdefault(child, []).append((2 * target_id + (kind == TO_KEY_RESULT), weight))
    for node in _order(graph):
        nid = node // 2
        t_num, t_den = fed_num.get(node, 0.0), fed_den.get(node, 0.0)
        if node % 2:  # an aligned key result
            value = graph.frozen_key_results.get(nid)
            if value is None:
                num, den = graph.aligned_base.get(nid, (0.0, 0.0))
                value = progress_from_sums(num + t_num, den + t_den)
            aligned[nid] = value
            continue
        num, den = graph.base[nid]
        for kid, weight in graph.aligned.get(nid, ()):
            if weight > 0:
                num, den = num + weight * aligned[kid], den + weight
        if graph.children_contribute:
            num, den = num + t_num, den + t_den
        value = graph.frozen.get(nid)
        p = progress_from_sums(num, den) if value is None else value
        progress[nid] = p
        if graph.counts.get(nid, True):
            for target, weight in by_child.get(nid, ()):
                fed_num[target] = fed_num.get(target, 0.0) + weight * p
                fed_den[target] = fed_den.get(target, 0.0) + weight
    return progress, aligned
