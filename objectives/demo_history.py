"""Two closed quarters before the demo's active one, graded, with weekly check-in histories,
so the forecast's calibration reads as after half a year of use. Written in bulk (a few
statements per quarter: ``make run`` stays fast); the histories change pace now and then,
as real ones do, so the calibration is honest rather than perfect."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from cycles.models import Cycle, CycleStatus
from objectives import progress as progress_math
from objectives.models import CheckIn, KeyResult, Objective, ObjectiveStatus
from orgs.models import Organization, Team, User

QUARTERS_BACK = 2


def _value(k: Any, share: float) -> float:
    if k.kind == "milestone":
        return 1.0 if share >= 0.95 else 0.0
    whole = float(k.start).is_integer() and float(k.target).is_integer() and k.kind == "number"
    return round(k.start + (k.target - k.start) * share, 0 if whole else 2)


def _trajectory(rng: random.Random, weeks: int) -> list[float]:
    """The share of the way done after each week: a pace that may change once, mid-quarter
    (a push, or a stall), with noise of its own."""
    first = rng.uniform(0.45, 1.25)
    second = first * rng.choice([1.0, 1.0, 0.5, 1.4, 0.2])
    turn = rng.randint(weeks // 3, 2 * weeks // 3)
    shares, done = [], 0.0
    for week in range(1, weeks + 1):
        done += (first if week <= turn else second) / weeks
        shares.append(max(0.0, done * (1 + rng.gauss(0, 0.06))))
    return shares


def _quarter(
    *,
    org: Organization,
    spec: Sequence[Any],
    name: str,
    start: date,
    end: date,
    rng: random.Random,
    teams: dict[str, Team],
    users: dict[str, User],
) -> None:
    closed_at = datetime.combine(end + timedelta(days=3), time(17, 0), tzinfo=org.tzinfo)
    cycle = Cycle.objects.create(
        organization=org, name=name, start_date=start, end_date=end, status=CycleStatus.CLOSED, closed_at=closed_at
    )
    weeks = max(1, (end - start).days // 7)
    objectives, rows, histories = [], [], []
    for o in spec:
        kind, _, who = o.owner.partition(":")
        objectives.append(
            Objective(organization=org, cycle=cycle, title=o.title, description=o.description,
                      owner_type="company" if kind == "company" else kind, owner_team=teams.get(who) if kind == "team"
                      else None, owner_user=users.get(who) if kind == "person" else None,
                      status=ObjectiveStatus.CLOSED, commitment="aspirational" if rng.random() < 0.25 else "committed")
        )  # fmt: skip
    Objective.objects.bulk_create(objectives)
    for objective, o in zip(objectives, spec, strict=True):
        grades = []
        for position, k in enumerate(o.krs):
            shares = _trajectory(rng, weeks)
            values = [_value(k, s) for s in shares]
            prog = progress_math.key_result_progress(kind=k.kind, start=k.start, target=k.target, current=values[-1])
            grades.append(progress_math.grade(prog))
            rows.append(
                KeyResult(organization=org, objective=objective, title=k.title, owner=users[k.owner], kind=k.kind,
                          unit=k.unit, start_value=k.start, target_value=k.target, current_value=values[-1],
                          progress=prog, confidence=6, position=position, grade=grades[-1])
            )  # fmt: skip
            histories.append(values)
        objective.progress = objective.grade = progress_math.grade(sum(grades) / len(grades)) if grades else 0.0
    Objective.objects.bulk_update(objectives, ["progress", "grade"])
    KeyResult.objects.bulk_create(rows)
    check_ins = []
    for kr, values in zip(rows, histories, strict=True):
        for week, value in enumerate(values, start=1):
            when = datetime.combine(start + timedelta(days=7 * week - 3), time(10, 0), tzinfo=org.tzinfo)
            prog = progress_math.key_result_progress(
                kind=kr.kind, start=kr.start_value, target=kr.target_value, current=value
            )
            confidence = max(1, min(10, round(3 + 7 * prog * week / len(values) + rng.uniform(-1, 1))))
            check_ins.append(CheckIn(organization=org, key_result=kr, value=value, confidence=confidence,
                                     created_at=when))  # fmt: skip
    CheckIn.objects.bulk_create(check_ins, batch_size=1000)


def seed_closed_quarters(
    *, org: Organization, spec: Sequence[Any], before: date, quarter_of: Any, rng: random.Random
) -> int:
    """``QUARTERS_BACK`` closed quarters ending the day before ``before``; ``quarter_of(day)``
    names the quarter holding a day (name, start, end). The number of quarters made."""
    teams = {t.name: t for t in Team.objects.filter(organization=org)}
    users = {u.email: u for u in User.objects.filter(memberships__organization=org)}
    day = before
    for _ in range(QUARTERS_BACK):
        name, start, end = quarter_of(day - timedelta(days=1))
        _quarter(org=org, spec=spec, name=name, start=start, end=end, rng=rng, teams=teams, users=users)
        day = start
    return QUARTERS_BACK
