"""The coach's organisation-wide findings as one reader may read them (DESIGN §3, Visibility):
a finding about an objective, a key result or a KPI the reader may not see is left out, and so
is one naming a person whom the reader meets only on such things. The cycle's score counts
every objective, the same for everyone."""

from __future__ import annotations

from cycles.models import Cycle
from objectives.models import KeyResult, Objective
from objectives.restricted import hidden_kpis, hidden_objectives
from orgs.models import Membership
from rituals.coach import Finding


def visible_findings(m: Membership, cycle: Cycle | None, findings: list[Finding]) -> list[Finding]:
    objectives = hidden_objectives(m)
    kpis = hidden_kpis(m)
    if not objectives and not kpis:
        return findings
    hidden_krs = set(KeyResult.objects.filter(objective_id__in=list(objectives)).values_list("pk", flat=True))
    people: set[str] = set()
    if cycle is not None:
        shown = Objective.objects.filter(organization_id=m.organization_id, cycle=cycle).exclude(
            pk__in=list(objectives)
        )
        people = {f"person:{uid}" for uid in shown.values_list("owner_user_id", flat=True) if uid}
        people |= {
            f"person:{uid}"
            for uid in KeyResult.objects.filter(objective__in=shown).values_list("owner_id", flat=True)
            if uid
        }

    def seen(f: Finding) -> bool:
        if f.object_type == "objective":
            return f.object_id not in objectives
        if f.object_type == "key_result":
            return f.object_id not in hidden_krs
        if f.object_type == "kpi":
            return f.object_id not in kpis
        if f.object_type == "owner" and str(f.object_id).startswith("person:"):
            return str(f.object_id) in people
        return True

    return [f for f in findings if seen(f)]
