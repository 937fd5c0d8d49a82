"""The dashboard document as one reader may read it (DESIGN §3, Visibility): the rows naming an
objective, a key result or a KPI the reader may not see leave the lists (movers, what needs
attention); every figure — company progress, health counts, team health and progress, the
lists' counts and the KPI totals — stays as it is for everyone."""

from __future__ import annotations

from typing import Any

from objectives.restricted import hidden_kpis, hidden_objectives
from orgs.models import Membership


def reader_part(m: Membership, cycle_id: int | None) -> tuple[Any, ...]:
    """What the reader's copy depends on, for the cache keys of their copy: () for a reader
    who may see everything the organisation has."""
    objectives, kpis = hidden_objectives(m, cycle_id=cycle_id), hidden_kpis(m)
    if not objectives and not kpis:
        return ()
    return ("o", *sorted(objectives), "k", *sorted(kpis))


def for_reader(doc: dict[str, Any], m: Membership) -> dict[str, Any]:
    """``doc`` (cached for the organisation, not changed) without the rows ``m`` may not see."""
    objectives = hidden_objectives(m, cycle_id=doc["cycle"]["id"])
    kpis = hidden_kpis(m)
    if not objectives and not kpis:
        return doc

    def keep(rows: list[dict[str, Any]], key: str, hidden: Any) -> list[dict[str, Any]]:
        return [r for r in rows if r.get(key) not in hidden]

    movers = doc["movers"]
    attention = dict(doc["needs_attention"])
    attention["objectives"] = keep(attention["objectives"], "id", objectives)
    attention["stale_key_results"] = keep(attention["stale_key_results"], "objective", objectives)
    attention["red_kpis"] = keep(attention["red_kpis"], "id", kpis)
    attention["overdue_measurements"] = keep(attention["overdue_measurements"], "id", kpis)
    return {
        **doc,
        "movers": {
            "up": keep(movers["up"], "objective", objectives),
            "down": keep(movers["down"], "objective", objectives),
        },
        "needs_attention": attention,
    }
