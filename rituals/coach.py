"""The OKR quality coach: the rules of the method, in one pure module.

No database access: the rules read plain facts (``ObjectiveFacts``,
``KeyResultFacts``, ``KpiFacts``) that ``rituals.quality`` builds from the
database, the templates build from their data files and the edit forms build
from what is being typed. Each rule has a code, a severity, a message and a
hint, both translated (English and Vietnamese, through the catalogue).

The score is advice, never a gate: nothing refuses a save because of it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)
# What one finding takes off a score of 100.
PENALTY = {ERROR: 25, WARNING: 10, INFO: 5}

TITLE_MAX = 100
MIN_KEY_RESULTS = 2
MAX_KEY_RESULTS = 5
MAX_OBJECTIVES_PER_OWNER = 5
MAX_ACTIVE_KPIS_PER_OWNER = 7
MISSED_PERIODS = 2
# The concentration rule needs a few key results before "a third" means something.
CONCENTRATION_MIN_KEY_RESULTS = 6
# More parents than this (its primary one and its contributions) spread an objective thin.
MAX_PARENTS = 3


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    message: Promise
    hint: Promise


def _rule(code: str, severity: str, message: Promise, hint: Promise) -> Rule:
    return Rule(code, severity, message, hint)


RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        _rule(
            "objective_title_has_numbers",
            WARNING,
            _("The objective's title contains numbers or amounts."),
            _("An objective is qualitative: say where you want to go in words, and put the numbers in key results."),
        ),
        _rule(
            "objective_title_too_long",
            INFO,
            _("The objective's title is longer than %(max)d characters."),
            _("Keep it short and memorable; move the detail into the description."),
        ),
        _rule(
            "objective_too_few_key_results",
            ERROR,
            _("The objective has fewer than 2 key results."),
            _("Add key results until 2 to 5 numbers tell whether the objective is reached."),
        ),
        _rule(
            "objective_too_many_key_results",
            ERROR,
            _("The objective has more than 5 key results."),
            _("Keep the 2 to 5 key results that matter most; the rest can be initiatives or KPIs."),
        ),
        _rule(
            "objective_key_results_set_aside",
            WARNING,
            _("The objective came with %(count)d key results: those past the fifth are initiatives here."),
            _(
                "Keep the 5 key results that matter most (an initiative can take a key result's place), "
                "then activate the objective."
            ),
        ),
        _rule(
            "objective_diluted",
            WARNING,
            _("The objective contributes to %(count)d parents: its effort is spread thin."),
            _(
                "Keep the parent it moves most and at most two others; an objective that counts "
                "everywhere moves nothing much."
            ),
        ),
        _rule(
            "objective_not_aligned",
            INFO,
            _("This team or personal objective is aligned to nothing."),
            _("Align it to the company's or the team's objective it helps, so the cascade shows why it matters."),
        ),
        _rule(
            "key_result_no_baseline",
            WARNING,
            _("The key result has no baseline."),
            _("Say where you start from, so progress can be measured."),
        ),
        _rule(
            "key_result_no_target",
            ERROR,
            _("The key result has no target."),
            _("Give the number that means the key result is reached."),
        ),
        _rule(
            "key_result_no_unit",
            WARNING,
            _("The key result has no unit."),
            _("Name what is counted: leads, VND, days, NPS points…"),
        ),
        _rule(
            "key_result_target_equals_start",
            ERROR,
            _("The key result's target equals its baseline."),
            _("A key result measures a change: set a target different from where you start."),
        ),
        _rule(
            "key_result_is_activity",
            WARNING,
            _("The key result reads like an activity, not a result."),
            _("Make it an initiative, and write the key result as the number that activity should move."),
        ),
        _rule(
            "key_result_no_owner",
            WARNING,
            _("The key result has no owner."),
            _("Give each key result one person who checks in on it every week."),
        ),
        _rule(
            "owner_too_many_objectives",
            WARNING,
            _("%(owner)s owns more than 5 objectives in this cycle."),
            _("Focus: keep the few objectives that matter most and drop or merge the others."),
        ),
        _rule(
            "cycle_key_results_concentrated",
            WARNING,
            _("%(owner)s owns more than a third of all key results in this cycle."),
            _("Spread the key results among the people who do the work."),
        ),
        _rule(
            "kpi_owner_too_many",
            WARNING,
            _("%(owner)s owns more than 7 active KPIs."),
            _("Measure less, but consistently: keep the KPIs decisions are taken from."),
        ),
        _rule(
            "kpi_not_specific",
            WARNING,
            _("S — specific: the KPI does not say how it is measured."),
            _("Write down what exactly is counted and where the number comes from."),
        ),
        _rule(
            "kpi_not_measurable",
            WARNING,
            _("M — measurable: the KPI has no unit."),
            _("Name the unit the KPI is counted in."),
        ),
        _rule(
            "kpi_not_achievable",
            INFO,
            _("A — achievable: the KPI has no amber threshold."),
            _("Set the value below which it is a concern, so the target stays realistic and the status is readable."),
        ),
        _rule(
            "kpi_not_relevant",
            WARNING,
            _("R — relevant: the KPI does not say why it matters."),
            _("Say which decision or goal the KPI serves; if none, stop measuring it."),
        ),
        _rule(
            "kpi_not_time_bound",
            WARNING,
            _("T — time-bound: the KPI has no reporting frequency."),
            _("Choose how often it is reported: weekly, monthly, quarterly or yearly."),
        ),
        _rule(
            "kpi_not_measured",
            WARNING,
            _("The KPI has had no measurement for %(periods)d periods."),
            _("Record the missing periods, or make the KPI inactive if nobody uses it."),
        ),
    )
}

# --- facts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyResultFacts:
    title: str
    owner_id: int | None = None
    kind: str = "number"
    unit: str = ""
    start: float | None = 0.0
    target: float | None = None
    owner_label: str = ""
    id: int | None = None


@dataclass(frozen=True)
class ObjectiveFacts:
    title: str
    owner_type: str = "company"
    aligned: bool = False
    key_results: Sequence[KeyResultFacts] = ()
    owner_key: str = ""  # "team:3", "person:7", "company"
    owner_label: str = ""
    id: int | None = None
    parents: int = 0  # what it counts in: its primary parent and its contributions
    # A draft brought from a tool without the limit of five: its key results past the fifth,
    # which came in as initiatives (an import says so).
    key_results_set_aside: int = 0


@dataclass(frozen=True)
class KpiFacts:
    name: str
    unit: str = ""
    how_measured: str = ""
    description: str = ""
    frequency: str | None = "monthly"
    direction: str = "higher_is_better"
    amber_threshold: float | None = None
    active: bool = True
    periods_without_measurement: int = 0
    owner_key: str = ""
    owner_label: str = ""
    id: int | None = None


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    object_type: str  # objective, key_result, kpi, owner, cycle
    object_id: int | str | None
    object_label: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    @property
    def message(self) -> str:
        text = str(self.rule.message)
        return text % self.params if self.params else text

    @property
    def hint(self) -> str:
        return str(self.rule.hint)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "object": {"type": self.object_type, "id": self.object_id, "label": self.object_label},
        }


def _finding(code: str, object_type: str, object_id: Any, label: str, **params: Any) -> Finding:
    return Finding(code, RULES[code].severity, object_type, object_id, label, params)


# --- the rules -------------------------------------------------------------------------------

# Digits, percentages, currency signs and amount words: an objective says where, not how much.
_NUMBERS = re.compile(r"\d|%|[$€£¥₫]|\b(?:million|billion|triệu|tỷ|tỉ)\b", re.IGNORECASE)

# Verbs that start an activity rather than a result (English and Vietnamese).
ACTIVITY_VERBS = (
    "launch",
    "implement",
    "build",
    "create",
    "develop",
    "organise",
    "organize",
    "set up",
    "roll out",
    "deploy",
    "design",
    "write",
    "hold",
    "run",
    "conduct",
    "introduce",
    "triển khai",
    "xây dựng",
    "tạo",
    "tổ chức",
    "thực hiện",
    "phát triển",
    "thiết kế",
    "ra mắt",
)
_ACTIVITY = re.compile(
    r"^\s*(?:" + "|".join(re.escape(v) for v in ACTIVITY_VERBS) + r")(?:s|es|ed|ing)?\b", re.IGNORECASE
)


def title_has_numbers(title: str) -> bool:
    return bool(_NUMBERS.search(title or ""))


def is_activity(title: str) -> bool:
    return bool(_ACTIVITY.match(title or ""))


def check_key_result(kr: KeyResultFacts) -> list[Finding]:
    found = []
    label = kr.title
    if is_activity(kr.title):
        found.append(_finding("key_result_is_activity", "key_result", kr.id, label))
    if kr.owner_id is None:
        found.append(_finding("key_result_no_owner", "key_result", kr.id, label))
    if kr.kind == "milestone":
        return found
    if kr.start is None:
        found.append(_finding("key_result_no_baseline", "key_result", kr.id, label))
    if kr.target is None:
        found.append(_finding("key_result_no_target", "key_result", kr.id, label))
    if kr.kind in ("number", "currency") and not (kr.unit or "").strip():
        found.append(_finding("key_result_no_unit", "key_result", kr.id, label))
    if kr.start is not None and kr.target is not None and kr.start == kr.target:
        found.append(_finding("key_result_target_equals_start", "key_result", kr.id, label))
    return found


def check_objective(obj: ObjectiveFacts) -> list[Finding]:
    """Findings on one objective and its key results."""
    found = []
    label = obj.title
    if title_has_numbers(obj.title):
        found.append(_finding("objective_title_has_numbers", "objective", obj.id, label))
    if len((obj.title or "").strip()) > TITLE_MAX:
        found.append(_finding("objective_title_too_long", "objective", obj.id, label, max=TITLE_MAX))
    count = len(obj.key_results)
    if count < MIN_KEY_RESULTS:
        found.append(_finding("objective_too_few_key_results", "objective", obj.id, label))
    elif count > MAX_KEY_RESULTS:
        found.append(_finding("objective_too_many_key_results", "objective", obj.id, label))
    if obj.key_results_set_aside > 0:
        total = count + obj.key_results_set_aside
        found.append(_finding("objective_key_results_set_aside", "objective", obj.id, label, count=total))
    if obj.owner_type in ("team", "person") and not obj.aligned:
        found.append(_finding("objective_not_aligned", "objective", obj.id, label))
    if obj.parents > MAX_PARENTS:
        found.append(_finding("objective_diluted", "objective", obj.id, label, count=obj.parents))
    for kr in obj.key_results:
        found += check_key_result(kr)
    return found


def check_cycle(objectives: Sequence[ObjectiveFacts]) -> list[Finding]:
    """Rules over a whole cycle (not its objectives one by one)."""
    found = []
    per_owner = Counter(o.owner_key for o in objectives if o.owner_key)
    labels = {o.owner_key: o.owner_label for o in objectives}
    for key, count in sorted(per_owner.items()):
        if count > MAX_OBJECTIVES_PER_OWNER:
            found.append(_finding("owner_too_many_objectives", "owner", key, labels[key], owner=labels[key]))
    owners = Counter(kr.owner_id for o in objectives for kr in o.key_results)
    people = {kr.owner_id: kr.owner_label for o in objectives for kr in o.key_results}
    total = sum(owners.values())
    if total >= CONCENTRATION_MIN_KEY_RESULTS:
        for owner_id, count in sorted(owners.items(), key=lambda item: str(item[0])):
            if owner_id is not None and count * 3 > total:
                found.append(
                    _finding(
                        "cycle_key_results_concentrated",
                        "owner",
                        f"person:{owner_id}",
                        people[owner_id],
                        owner=people[owner_id],
                    )
                )
    return found


def check_kpi(kpi: KpiFacts) -> list[Finding]:
    found = []
    label = kpi.name
    if not kpi.how_measured.strip():
        found.append(_finding("kpi_not_specific", "kpi", kpi.id, label))
    if not kpi.unit.strip():
        found.append(_finding("kpi_not_measurable", "kpi", kpi.id, label))
    if kpi.direction != "within_range" and kpi.amber_threshold is None:
        found.append(_finding("kpi_not_achievable", "kpi", kpi.id, label))
    if not kpi.description.strip():
        found.append(_finding("kpi_not_relevant", "kpi", kpi.id, label))
    if not kpi.frequency:
        found.append(_finding("kpi_not_time_bound", "kpi", kpi.id, label))
    if kpi.active and kpi.periods_without_measurement >= MISSED_PERIODS:
        found.append(_finding("kpi_not_measured", "kpi", kpi.id, label, periods=kpi.periods_without_measurement))
    return found


def check_kpi_library(kpis: Sequence[KpiFacts]) -> list[Finding]:
    """Rules over an organisation's KPIs as a whole."""
    found = []
    per_owner = Counter(k.owner_key for k in kpis if k.active and k.owner_key)
    labels = {k.owner_key: k.owner_label for k in kpis}
    for key, count in sorted(per_owner.items()):
        if count > MAX_ACTIVE_KPIS_PER_OWNER:
            found.append(_finding("kpi_owner_too_many", "owner", key, labels[key], owner=labels[key]))
    return found


# --- scores ------------------------------------------------------------------------------------


def score(findings: Iterable[Finding]) -> int:
    """100 minus a penalty per finding (error 25, warning 10, info 5), never below 0."""
    return max(0, 100 - sum(PENALTY[f.severity] for f in findings))


def aggregate_score(part_scores: Sequence[int], extra: Iterable[Finding] = ()) -> int:
    """A cycle's or a KPI library's score: the mean of its parts' scores, minus its own findings.
    Nothing to judge is a perfect 100."""
    base = round(sum(part_scores) / len(part_scores)) if part_scores else 100
    return max(0, base - sum(PENALTY[f.severity] for f in extra))
