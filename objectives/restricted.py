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
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches
from django.db.models import Exists, IntegerField, Q, Value
from django.utils.translation import ngettext

from core.numbers import format_percent
from core.numeric import weighted_average
from kpis.models import Kpi, Measurement
from objectives.contribution import Contribution
from objectives.models import CheckIn, Initiative, KeyResult, Objective
from orgs.models import Membership, Organization
from orgs.visibility import Visibility, sees_everything, visible_filter

RESTRICTED_COUNT = "count"


@dataclass(frozen=True)
class Hidden:
    """What one member may not see in their organisation: {objective id: (its weight in its
    parent, its cycle id)} and the KPI ids."""

    objectives: dict[int, tuple[float, int | None]]
    kpis: frozenset[int]


NOTHING_HIDDEN = Hidden(objectives={}, kpis=frozenset())


def has_restricted(org: Organization) -> bool:
    """Whether any objective or KPI of the organisation is not open to everyone: one query,
    kept in the documents cache under the organisation's data version (bumped by every
    change to an objective or a KPI, ``orgs.versions``), so most requests ask nothing."""
    key = f"restricted:{org.pk}:{org.data_version}"
    store = caches["documents"]
    found = store.get(key)
    if found is None:
        objectives = Objective.objects.filter(organization=org).exclude(visibility=Visibility.ORGANIZATION)
        kpis = Kpi.objects.filter(organization=org).exclude(visibility=Visibility.ORGANIZATION)
        found = Organization.objects.filter(pk=org.pk).filter(Exists(objectives) | Exists(kpis)).exists()
        store.set(key, found)
    return bool(found)


def _hidden(m: Membership) -> Hidden:
    """``Hidden`` for a member who is not an admin, kept on the membership for the request:
    nothing (no further query) in an organisation where everything is open, else the
    visibility filter's reads and one query (a union of objectives and KPIs)."""
    found = m.__dict__.get("_okrkpi_hidden")
    if found is not None:
        return found
    if not has_restricted(m.organization):
        found = NOTHING_HIDDEN
    else:
        objectives = (
            Objective.objects.filter(organization_id=m.organization_id)
            .exclude(visibility=Visibility.ORGANIZATION)
            .exclude(visible_filter(m, Objective))
            .order_by()
            .values_list("id", "weight", "cycle_id", Value("o"))
        )
        kpis = (
            Kpi.objects.filter(organization_id=m.organization_id)
            .exclude(visibility=Visibility.ORGANIZATION)
            .exclude(visible_filter(m, Kpi))
            .order_by()
            .values_list("id", Value(1.0), Value(None, output_field=IntegerField()), Value("k"))
        )
        rows = list(objectives.union(kpis, all=True))
        found = Hidden(
            objectives={pk: (weight, cycle) for pk, weight, cycle, kind in rows if kind == "o"},
            kpis=frozenset(pk for pk, _w, _c, kind in rows if kind == "k"),
        )
    m.__dict__["_okrkpi_hidden"] = found
    return found


def hidden_objectives(m: Membership, *, cycle_id: int | None = None) -> dict[int, float]:
    """{objective id: its weight in its parent} of the objectives of ``m``'s organisation (of
    ``cycle_id`` when given) that ``m`` may not see; empty for admins (``_hidden``)."""
    if sees_everything(m):
        return {}
    objectives = _hidden(m).objectives
    return {pk: w for pk, (w, cycle) in objectives.items() if cycle_id is None or cycle == cycle_id}


def hidden_kpis(m: Membership) -> frozenset[int]:
    """The ids of the KPIs of ``m``'s organisation that ``m`` may not see (none for admins)."""
    if sees_everything(m):
        return frozenset()
    return _hidden(m).kpis


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
