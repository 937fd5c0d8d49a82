"""Objectives' forecasts on the alignment graph, rolled up as progress is (DESIGN §4), pure.

An objective's forecast is the weighted mean of the forecasts of its key results, of its
``aligned`` key results, and — when the organisation counts children — of the objectives
aligned to it through ``parent`` (with the child's weight) or through a contribution (with
the link's weight), those that count (not drafts, not cancelled). An ``aligned`` key result
forecasts the weighted mean of the forecasts of the objectives contributing to it (0 with
none), whatever the organisation says of children, as its progress is (``objectives.graph``).

A contributor of another cycle is not forecast with this one: it counts with its stored
progress, as a term without a forecast of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

from objectives import forecast as fc
from objectives import progress as progress_math

# An aligned key result reaches its target at progress 1, as a committed objective does.
_ALIGNED_BAR = "committed"


class Info(Protocol):
    """What the roll-up reads of an objective (``forecasts.ObjectiveInfo``)."""

    @property
    def id(self) -> int: ...
    @property
    def parent(self) -> int | None: ...
    @property
    def weight(self) -> float: ...
    @property
    def status(self) -> str: ...
    @property
    def commitment(self) -> str: ...


class Link(NamedTuple):
    """A contribution: ``child`` counts in objective ``parent`` or in aligned key result
    ``key_result`` with ``weight``; ``progress`` and ``status`` are the child's stored ones."""

    child: int
    parent: int | None
    key_result: int | None
    weight: float
    progress: float = 0.0
    status: str = "active"


class _Graph:
    def __init__(
        self,
        info: Mapping[int, Info],
        terms: Mapping[int, list[fc.Term]],
        aligned: Mapping[int, list[tuple[int, float]]],
        links: list[Link],
        children_contribute: bool,
        kept: dict[int, Any],
    ) -> None:
        self.info, self.terms, self.aligned, self.kept = info, terms, aligned, kept
        self.children_contribute = children_contribute
        self.children: dict[int, list[tuple[int, float, float, str]]] = {}
        for o in info.values():
            if o.parent is not None and o.parent in info:
                self.children.setdefault(o.parent, []).append((o.id, o.weight, 0.0, o.status))
        self.feeds_kr: dict[int, list[tuple[int, float, float, str]]] = {}
        for link in links:
            edge = (link.child, link.weight, link.progress, link.status)
            if link.parent is not None:
                self.children.setdefault(link.parent, []).append(edge)
            elif link.key_result is not None:
                self.feeds_kr.setdefault(link.key_result, []).append(edge)
        self.done: dict[int, fc.ObjectiveForecast] = {}
        self.kr_done: dict[int, fc.Forecast] = {}

    def _child_term(self, edge: tuple[int, float, float, str], trail: frozenset[int]) -> fc.Term | None:
        child, weight, progress, status = edge
        if not progress_math.counts_in_parent(status) or child in trail:
            return None
        if child not in self.info:  # another cycle's contributor: its progress as it stands
            return fc.Term(progress, progress, progress, weight, False)
        f = self.visit(child, trail)
        return fc.Term(f.projected, f.low, f.high, weight, f.probability is not None)

    def aligned_forecast(self, kid: int, trail: frozenset[int]) -> fc.Forecast:
        if kid not in self.kr_done:
            terms = [t for e in self.feeds_kr.get(kid, []) if (t := self._child_term(e, trail)) is not None]
            f = fc.forecast_objective(terms=terms, commitment=_ALIGNED_BAR)
            self.kr_done[kid] = fc.Forecast(
                method=fc.Method.ROLLUP,
                projected=f.projected,
                low=f.low,
                high=f.high,
                probability=f.probability,
                progress=f.projected,
                progress_low=f.low,
                progress_high=f.high,
            )
        return self.kr_done[kid]

    def visit(self, oid: int, trail: frozenset[int]) -> fc.ObjectiveForecast:
        if oid in self.done:
            return self.done[oid]
        below = trail | {oid}
        own = list(self.terms.get(oid, []))
        for kid, weight in self.aligned.get(oid, []):
            k = self.aligned_forecast(kid, below)
            own.append(fc.Term(k.progress, k.progress_low, k.progress_high, weight, k.probability is not None))
        if self.children_contribute:
            own += [t for e in self.children.get(oid, []) if (t := self._child_term(e, below)) is not None]
        commitment = self.info[oid].commitment
        found = self.kept.get(oid)
        if found is not None and found[0] == own and found[1] == commitment:
            self.done[oid] = found[2]
        else:
            self.done[oid] = fc.forecast_objective(terms=own, commitment=commitment)
            self.kept[oid] = (own, commitment, self.done[oid])
        return self.done[oid]


def objective_forecasts(
    *,
    info: Mapping[int, Info],
    terms: Mapping[int, list[fc.Term]],
    children_contribute: bool,
    aligned: Mapping[int, list[tuple[int, float]]] | None = None,
    links: list[Link] | None = None,
    kept: dict[int, Any] | None = None,
) -> tuple[dict[int, fc.ObjectiveForecast], dict[int, fc.Forecast]]:
    """Every objective's forecast (``info``) and every aligned key result's, inputs before what
    they feed. ``terms``: per objective, its ordinary key results' forecasts; ``aligned``: per
    objective, its aligned key results ``(id, weight)``; ``links``: the contributions.
    ``kept`` ({id: (terms, commitment, forecast)}) spares the objectives whose terms are as
    they were."""
    graph = _Graph(info, terms, aligned or {}, links or [], children_contribute, {} if kept is None else kept)
    for oid in info:
        graph.visit(oid, frozenset())
    for krs in (aligned or {}).values():
        for kid, _w in krs:
            graph.aligned_forecast(kid, frozenset())
    return graph.done, graph.kr_done
