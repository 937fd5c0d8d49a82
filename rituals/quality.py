"""Selectors of the quality coach: facts from the database, findings and scores.

The rules themselves are pure (``rituals.coach``); these functions read what
they need in a fixed number of queries and leave dismissed findings out of the
scores (they are still returned, marked, so pages can show them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Max, Prefetch

from cycles.models import Cycle
from kpis import periods
from kpis.models import Kpi
from objectives.models import CoachDismissal, KeyResult, Objective, ObjectiveStatus
from orgs.models import Organization
from rituals import coach

MAX_MISSED_PERIODS = 60

# Figures per objective that the floors above add to the one query the coach reads objectives
# with (so no query more): name → a function returning the annotation, built at query time.
# ``key_results_set_aside`` (``transfer``: key results an import kept as initiatives) is read
# into the objective's facts while it is a draft.
OBJECTIVE_ANNOTATIONS: dict[str, Callable[[], Any]] = {}


def register_objective_annotation(name: str, build: Callable[[], Any]) -> None:
    OBJECTIVE_ANNOTATIONS[name] = build


@dataclass
class QualityReport:
    score: int
    findings: list[coach.Finding]
    dismissed: dict[tuple[str, str, str], str] = field(default_factory=dict)  # key → reason
    scores: dict[int, int] = field(default_factory=dict)  # per objective or KPI id

    def is_dismissed(self, finding: coach.Finding) -> bool:
        return _key(finding) in self.dismissed

    def active_findings(self) -> list[coach.Finding]:
        return [f for f in self.findings if not self.is_dismissed(f)]

    def as_list(self) -> list[dict[str, Any]]:
        out = []
        for f in self.findings:
            row = f.as_dict()
            reason = self.dismissed.get(_key(f))
            row["dismissed"] = reason is not None
            row["dismissal_reason"] = reason or ""
            out.append(row)
        return out


def _key(f: coach.Finding) -> tuple[str, str, str]:
    return (f.code, f.object_type, str(f.object_id))


def _dismissals(org: Organization) -> dict[tuple[str, str, str], str]:
    return {
        (code, object_type, object_id): reason
        for code, object_type, object_id, reason in CoachDismissal.objects.filter(organization=org).values_list(
            "code", "object_type", "object_id", "reason"
        )
    }


def _owner_key(obj: Objective | Kpi) -> str:
    if obj.owner_type == "team":
        return f"team:{obj.owner_team_id}"  # type: ignore[union-attr]
    if obj.owner_type == "person":
        return f"person:{obj.owner_user_id}"  # type: ignore[union-attr]
    return "company"


def objective_facts(objective: Objective, key_results: list[KeyResult]) -> coach.ObjectiveFacts:
    return coach.ObjectiveFacts(
        id=objective.pk,
        title=objective.title,
        owner_type=objective.owner_type,
        aligned=objective.parent_id is not None,
        parents=(objective.parent_id is not None) + getattr(objective, "contribution_count", 0),
        key_results_set_aside=(getattr(objective, "key_results_set_aside", 0) or 0)
        if objective.status == ObjectiveStatus.DRAFT
        else 0,
        owner_key=_owner_key(objective),
        owner_label=objective.owner_label,
        key_results=[
            coach.KeyResultFacts(
                id=kr.pk,
                title=kr.title,
                owner_id=kr.owner_id,
                owner_label=kr.owner.display_name if kr.owner_id else "",
                kind=kr.kind,
                unit=kr.unit,
                start=kr.start_value,
                target=kr.target_value,
            )
            for kr in key_results
        ],
    )


def _objectives(org: Organization) -> Any:
    return (
        Objective.objects.filter(organization=org)
        .annotate(contribution_count=Count("contributions"))
        .annotate(**{name: build() for name, build in OBJECTIVE_ANNOTATIONS.items()})
        .select_related("owner_team", "owner_user")
        .prefetch_related(
            Prefetch(
                "key_results",
                queryset=KeyResult.objects.filter(organization=org).select_related("owner").order_by("position", "id"),
            )
        )
        .order_by("id")
    )


def _score_objectives(
    objectives: list[Objective], dismissed: dict[tuple[str, str, str], str]
) -> tuple[list[coach.ObjectiveFacts], list[coach.Finding], dict[int, int]]:
    facts, findings, scores = [], [], {}
    for objective in objectives:
        f = objective_facts(objective, list(objective.key_results.all()))
        found = coach.check_objective(f)
        facts.append(f)
        findings += found
        scores[objective.pk] = coach.score(x for x in found if _key(x) not in dismissed)
    return facts, findings, scores


def objective_quality(*, org: Organization, objective: Objective) -> QualityReport:
    """Findings on one objective and its key results, and its score. Three queries."""
    dismissed = _dismissals(org)
    objectives = list(_objectives(org).filter(pk=objective.pk))
    _facts, findings, scores = _score_objectives(objectives, dismissed)
    return QualityReport(score=scores.get(objective.pk, 100), findings=findings, dismissed=dismissed, scores=scores)


def cycle_quality(*, org: Organization, cycle: Cycle) -> QualityReport:
    """Every objective of the cycle (cancelled ones aside) and the cycle-wide rules.
    The score is the mean of the objectives' scores minus the cycle's own findings.
    Three queries whatever the size of the cycle."""
    dismissed = _dismissals(org)
    objectives = list(_objectives(org).filter(cycle=cycle).exclude(status=ObjectiveStatus.CANCELLED))
    facts, findings, scores = _score_objectives(objectives, dismissed)
    cycle_findings = coach.check_cycle(facts)
    total = coach.aggregate_score(list(scores.values()), [f for f in cycle_findings if _key(f) not in dismissed])
    return QualityReport(score=total, findings=cycle_findings + findings, dismissed=dismissed, scores=scores)


def periods_without_measurement(
    *, frequency: str, tracking_since: date, last_period: date | None, today: date, fiscal_year_start_month: int
) -> int:
    """Complete periods since the last measured one (or since tracking began) with no value."""
    current = periods.period_start(today, frequency=frequency, fiscal_year_start_month=fiscal_year_start_month)
    if last_period is not None:
        cursor = periods.shift(last_period, frequency=frequency)
    else:
        cursor = periods.period_start(
            tracking_since, frequency=frequency, fiscal_year_start_month=fiscal_year_start_month
        )
    missed = 0
    while cursor < current and missed < MAX_MISSED_PERIODS:
        missed += 1
        cursor = periods.shift(cursor, frequency=frequency)
    return missed


def kpi_facts(kpi: Kpi, *, last_period: date | None, today: date, fiscal_year_start_month: int) -> coach.KpiFacts:
    return coach.KpiFacts(
        id=kpi.pk,
        name=kpi.name,
        unit=kpi.unit,
        how_measured=kpi.how_measured,
        description=kpi.description,
        frequency=kpi.frequency,
        direction=kpi.direction,
        amber_threshold=kpi.amber_threshold,
        active=kpi.active,
        periods_without_measurement=periods_without_measurement(
            frequency=kpi.frequency,
            tracking_since=kpi.tracking_since,
            last_period=last_period,
            today=today,
            fiscal_year_start_month=fiscal_year_start_month,
        ),
        owner_key=_owner_key(kpi),
        owner_label=kpi.owner_label,
    )


def kpi_library_quality(*, org: Organization, kpi_ids: list[int] | None = None) -> QualityReport:
    """The organisation's KPI library (or some of its KPIs): SMART parts, missed periods, and
    owners with too many active KPIs. Three queries whatever the number of KPIs."""
    dismissed = _dismissals(org)
    qs = (
        Kpi.objects.filter(organization=org)
        .select_related("owner_team", "owner_user")
        .annotate(last_period=Max("measurements__period"))
        .order_by("name", "id")
    )
    today = org.today()
    facts = [
        kpi_facts(k, last_period=k.last_period, today=today, fiscal_year_start_month=org.fiscal_year_start_month)
        for k in qs
    ]
    findings, scores = [], {}
    for f in facts:
        found = coach.check_kpi(f)
        findings += found
        if f.active:
            scores[f.id] = coach.score(x for x in found if _key(x) not in dismissed)  # type: ignore[index]
    library = coach.check_kpi_library(facts)
    if kpi_ids is not None:
        wanted = set(kpi_ids)
        findings = [f for f in findings if f.object_id in wanted]
        scores = {k: v for k, v in scores.items() if k in wanted}
        library = []
    total = coach.aggregate_score(list(scores.values()), [f for f in library if _key(f) not in dismissed])
    return QualityReport(score=total, findings=library + findings, dismissed=dismissed, scores=scores)


def submission_snapshot(objective: Objective) -> tuple[int | None, list[dict[str, Any]]]:
    """The coach's score and findings on ``objective`` as a submission for review freezes them."""
    report = objective_quality(org=objective.organization, objective=objective)
    return report.score, report.as_list()
