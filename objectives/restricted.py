"""What a person may not see among objectives and KPIs, and the neutral row shown in its place
(DESIGN §3, Visibility).

The documents (cascade, dashboard, alignment, digests, …) are built over every object, so
their totals are the same for everyone and can be cached once per organisation; these
helpers then take out, per reader, what the reader may not see (``orgs.visibility``'s one
filter). A hidden child keeps its place as "1 restricted objective, 40 %" — or only the count
where the organisation says even its progress would reveal too much
(``Organization.restricted_display``) — never its title, owner, key results or notes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.utils.translation import ngettext

from core.numbers import format_percent
from core.numeric import weighted_average
from kpis.models import Kpi, Measurement
from objectives.contribution import Contribution
from objectives.models import CheckIn, Initiative, KeyResult, Objective
from orgs.models import Membership
from orgs.visibility import Visibility, sees_everything, visible_filter

RESTRICTED_COUNT = "count"


def hidden_objectives(m: Membership, *, cycle_id: int | None = None) -> dict[int, float]:
    """{objective id: its weight in its parent} of the objectives of ``m``'s organisation (of
    ``cycle_id`` when given) that ``m`` may not see; empty for admins. One query (none for an
    admin), cached on the membership for the request."""
    if sees_everything(m):
        return {}
    cache: dict[Any, dict[int, float]] = m.__dict__.setdefault("_hidden_objectives", {})
    if cycle_id not in cache:
        rows = Objective.objects.filter(organization_id=m.organization_id).exclude(visibility=Visibility.ORGANIZATION)
        if cycle_id is not None:
            rows = rows.filter(cycle_id=cycle_id)
        rows = rows.exclude(visible_filter(m, Objective))
        cache[cycle_id] = dict(rows.values_list("id", "weight"))
    return cache[cycle_id]


def hidden_kpis(m: Membership) -> frozenset[int]:
    """The ids of the KPIs of ``m``'s organisation that ``m`` may not see (none for admins)."""
    if sees_everything(m):
        return frozenset()
    cached = m.__dict__.get("_hidden_kpis")
    if cached is None:
        rows = Kpi.objects.filter(organization_id=m.organization_id).exclude(visibility=Visibility.ORGANIZATION)
        cached = frozenset(rows.exclude(visible_filter(m, Kpi)).values_list("id", flat=True))
        m.__dict__["_hidden_kpis"] = cached
    return cached


def shows_count_only(m: Membership) -> bool:
    """Whether the organisation shows a restricted row without its progress."""
    return getattr(m.organization, "restricted_display", "progress") == RESTRICTED_COUNT


def restricted_label(count: int, progress: float | None) -> str:
    """ "1 restricted objective, 40%" (or only the count when ``progress`` is None)."""
    if progress is None:
        return ngettext("%(n)d restricted objective", "%(n)d restricted objectives", count) % {"n": count}
    return ngettext("%(n)d restricted objective, %(pct)s", "%(n)d restricted objectives, %(pct)s", count) % {
        "n": count,
        "pct": format_percent(progress),
    }


def restricted_row(m: Membership, items: Iterable[tuple[float, float]]) -> dict[str, Any] | None:
    """The neutral row standing for hidden objectives given as (progress, weight): their count
    and weighted progress (None when the organisation shows only the count), with its label;
    None when there are none."""
    pairs = list(items)
    if not pairs:
        return None
    progress = None if shows_count_only(m) else weighted_average([(p, w) for p, w in pairs])
    return {"count": len(pairs), "progress": progress, "label": restricted_label(len(pairs), progress)}


def redact_tree(
    m: Membership,
    nodes: list[dict[str, Any]],
    *,
    hidden: dict[int, float],
    progress_key: str = "progress",
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """``nodes`` (dicts with ``id``, ``children`` and a progress) without the hidden ones:
    (the visible nodes, their hidden ones' neutral row or None). A hidden node's visible
    descendants take its place among the visible nodes; each visible node gets its own
    ``restricted`` row for its hidden children. The nodes are copied, never changed."""
    visible: list[dict[str, Any]] = []
    gone: list[tuple[float, float]] = []
    for node in nodes:
        children, row = redact_tree(m, node.get("children") or [], hidden=hidden, progress_key=progress_key)
        if node["id"] in hidden:
            gone.append((float(node.get(progress_key) or 0.0), hidden[node["id"]]))
            visible.extend(children)
        else:
            visible.append({**node, "children": children, "restricted": row})
    return visible, restricted_row(m, gone)


def hidden_activity(m: Membership) -> Q | None:
    """The activity entries about objectives and KPIs ``m`` may not see, and about their key
    results, check-ins, initiatives, contributions and measurements (``activity.selectors``)."""
    objectives = list(hidden_objectives(m))
    kpis = list(hidden_kpis(m))
    if not objectives and not kpis:
        return None

    def of(target_type: str, ids: Any) -> Q:
        return Q(target_type=target_type, target_id__in=ids)

    return (
        of("objectives.objective", objectives)
        | of("objectives.keyresult", KeyResult.objects.filter(objective_id__in=objectives).values("id"))
        | of("objectives.checkin", CheckIn.objects.filter(key_result__objective_id__in=objectives).values("id"))
        | of("objectives.initiative", Initiative.objects.filter(objective_id__in=objectives).values("id"))
        | of(
            "objectives.contribution",
            Contribution.objects.filter(Q(child_id__in=objectives) | Q(parent_id__in=objectives)).values("id"),
        )
        | of("kpis.kpi", kpis)
        | of("kpis.measurement", Measurement.objects.filter(kpi_id__in=kpis).values("id"))
    )
