"""Reads of the forecasts (DESIGN §4 Forecast): a cycle's key results and objectives, one key
result, and the calibration on the organisation's closed cycles. The math is the pure
``objectives.forecast``; this module reads the rows for it in a fixed number of queries and
caches the results under the organisation's data version and today, as the executive
documents are (``scorecards.documents``): a check-in makes new keys, never a stale answer.

The live forecast and the calibration's replay call the same ``forecast_key_result`` with the
same check-ins, told a different "now" (``on``): the replay sees nothing after its day.

A cycle's live build keeps, per key result, what it read of the check-ins and the forecast
(``forecast_cache``, under a fingerprint of the key-result row that every check-in changes):
after a check-in it reads that key result's check-ins only, and computes only what changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple, TypeVar

from django.core.cache import caches
from django.db.models import CharField, Count, Exists, FloatField, Func, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from cycles.models import Cycle, CycleStatus
from objectives import forecast as fc
from objectives import forecast_cache as fc_cache
from objectives import forecast_graph
from objectives.forecast_cache import cached as cached  # the documents' own: re-exported
from objectives.models import CheckIn, Contribution, KeyResult, KeyResultKind, Objective, ObjectiveStatus
from orgs.models import Organization

T = TypeVar("T")


def _midnight(org: Organization, day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=org.tzinfo)


class KeyResultRow(NamedTuple):  # a tuple: ten thousand are made per cycle, a frozen dataclass is slower
    id: int
    objective: int
    kind: str
    start: float
    target: float
    current: float
    weight: float
    confidence: int | None
    changed: str | None = None  # its updated_at and last_check_in_at (as text): a check-in changes them
    checked: str | None = None


@dataclass(frozen=True)
class ObjectiveInfo:
    id: int
    title: str
    parent: int | None
    weight: float
    status: str
    commitment: str
    owner_type: str
    owner_team: int | None
    owner_user: int | None
    activated_at: datetime | None


@dataclass
class CycleForecast:
    """A cycle's forecasts: per key result and per objective (rolled up as progress is)."""

    cycle: int
    key_results: dict[int, fc.Forecast] = field(default_factory=dict)
    objectives: dict[int, fc.ObjectiveForecast] = field(default_factory=dict)
    info: dict[int, ObjectiveInfo] = field(default_factory=dict)

    def predicted_to_miss(self) -> list[ObjectiveInfo]:
        """Active objectives forecast under their type's bar (committed 1.0, aspirational 0.7),
        the furthest and surest misses first."""
        rows = [
            o
            for oid, o in self.info.items()
            if o.status == ObjectiveStatus.ACTIVE
            and self.objectives[oid].probability is not None
            and fc.predicted_to_miss(projected=self.objectives[oid].projected, commitment=o.commitment)
        ]

        def key(o: ObjectiveInfo) -> tuple[float, float, int]:
            f = self.objectives[o.id]
            return (-fc.shortfall_key(projected=f.projected, probability=f.probability, commitment=o.commitment),
                    f.projected, o.id)  # fmt: skip

        return sorted(rows, key=key)


def key_result_forecast_of(
    *, org: Organization, row: KeyResultRow, points: list[fc.Point], origin: datetime, end: datetime, on: datetime
) -> fc.Forecast:
    """The one call live forecasts and replays share."""
    return fc.forecast_key_result(
        tz=org.tzinfo,
        kind=row.kind,
        start=row.start,
        target=row.target,
        current=row.current,
        confidence=row.confidence,
        check_ins=points,
        origin=origin.timestamp(),
        end=end.timestamp(),
        on=on.timestamp(),
    )


def _origin(org: Organization, cycle_start: date, activated_at: datetime | None) -> datetime:
    start = _midnight(org, cycle_start)
    return max(start, activated_at) if activated_at is not None else start


class Epoch(Func):
    """A moment as POSIX seconds, computed by the database: tens of thousands of check-ins are
    read as numbers, not turned into time-zone-aware datetimes one by one."""

    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::float8")


def _points(rows: Iterable[tuple[int, float, int, float]]) -> dict[int, list[fc.Point]]:
    found: dict[int, list[fc.Point]] = {}
    for kr_id, value, confidence, at in rows:
        found.setdefault(kr_id, []).append(fc.Point(at, value, confidence))
    return found


def _check_in_points(check_ins: QuerySet[CheckIn], *, ordered: bool = True) -> dict[int, list[fc.Point]]:
    """Check-ins as points by key result (oldest first, ``ordered``): one query."""
    rows = check_ins.order_by("key_result_id", "created_at", "id") if ordered else check_ins.order_by()
    return _points(rows.annotate(at=Epoch("created_at")).values_list("key_result_id", "value", "confidence", "at"))


_KR_FIELDS = ("key_results__id", "key_results__kind", "key_results__start_value", "key_results__target_value",
              "key_results__current_value", "key_results__weight", "key_results__confidence",
              Cast("key_results__updated_at", CharField()),
              Cast("key_results__last_check_in_at", CharField()))  # fmt: skip
_OBJ_FIELDS = ("id", "title", "parent_id", "weight", "status", "commitment", "owner_type", "owner_team_id",
               "owner_user_id", "activated_at")  # fmt: skip


def _cycle_rows(*, org: Organization, cycle: Cycle) -> tuple[dict[int, ObjectiveInfo], list[KeyResultRow], bool]:
    """The cycle's objectives that are not cancelled, left-joined to their key results, and
    whether any of them has a contribution in or out (then ``_links`` reads them): one query."""
    linked = Exists(
        Contribution.objects.filter(
            Q(child=OuterRef("pk")) | Q(parent=OuterRef("pk")) | Q(key_result__objective=OuterRef("pk"))
        )
    )
    rows = (
        Objective.objects.filter(organization=org, cycle=cycle)
        .exclude(status=ObjectiveStatus.CANCELLED)
        .annotate(linked=linked)
        .order_by("id", "key_results__position", "key_results__id")
        .values_list(*_OBJ_FIELDS, "linked", *_KR_FIELDS)
    )
    info: dict[int, ObjectiveInfo] = {}
    krs: list[KeyResultRow] = []
    n = len(_OBJ_FIELDS)
    any_link = False
    for r in rows:
        if r[0] not in info:
            info[r[0]] = ObjectiveInfo(*r[:n])
            any_link = any_link or bool(r[n])
        if r[n + 1] is not None:
            krs.append(KeyResultRow(r[n + 1], r[0], *r[n + 2 :]))
    return info, krs, any_link


def _links(*, org: Organization, cycle: Cycle) -> list[forecast_graph.Link]:
    """The contributions into or out of the cycle's objectives, with each contributor's stored
    progress and status (for one of another cycle): one query."""
    into = Q(child__cycle=cycle) | Q(parent__cycle=cycle) | Q(key_result__objective__cycle=cycle)
    rows = (
        Contribution.objects.filter(organization=org)
        .filter(into)
        .order_by("id")
        .values_list("child_id", "parent_id", "key_result_id", "weight", "child__progress", "child__status")
    )
    return [forecast_graph.Link(*r) for r in rows]


def build_cycle_forecast(*, org: Organization, cycle: Cycle, on: datetime | None = None) -> CycleForecast:
    """Every key result's and objective's forecast in ``cycle``, as known at ``on`` (now by
    default), on the alignment graph (``forecast_graph``): two queries whatever the size
    (objectives with key results, their check-ins), a third for the contributions when the
    cycle has any.
    Now, the check-ins are read only for the key results whose summary is not kept
    (``forecast_cache``): none when no check-in came since the last build."""
    live = on is None
    on = on or timezone.now()
    info, krs, linked = _cycle_rows(org=org, cycle=cycle)
    end, at, tz = _midnight(org, cycle.end_date + timedelta(days=1)).timestamp(), on.timestamp(), org.tzinfo
    starts = {oid: _origin(org, cycle.start_date, o.activated_at).timestamp() for oid, o in info.items()}
    origins = {row.id: starts[row.objective] for row in krs}
    zone = str(tz)
    prints: dict[int, fc_cache.Print] = {
        row.id: (row.changed, row.checked, row.current, origins[row.id], zone) for row in krs
    }
    fleeting: set[int] = set()  # key results with a check-in still to come: nothing of theirs is kept
    summaries = _summaries(
        org=org, cycle=cycle, krs=krs, origins=origins, on=on, prints=prints if live else None, fleeting=fleeting
    )
    # Before the end, a forecast does not move with "now": kept beside its summary's fingerprint.
    kept = fc_cache.forecasts_kept(org.pk) if live and at < end else {}
    result = CycleForecast(cycle=cycle.pk, info=info)
    terms: dict[int, list[fc.Term]] = {}
    aligned: dict[int, list[tuple[int, float]]] = {}
    for row in krs:
        if row.kind == KeyResultKind.ALIGNED:  # forecast from its contributors' forecasts, below
            aligned.setdefault(row.objective, []).append((row.id, row.weight))
            continue
        key = (prints[row.id], row.kind, row.start, row.target, row.confidence, end)
        found = kept.get(row.id)
        if found is not None and found[0] == key:
            f = found[1]
        else:
            f = fc.forecast_of_summary(
                kind=row.kind, start=row.start, target=row.target, current=row.current, confidence=row.confidence,
                summary=summaries[row.id], origin=origins[row.id], end=end, on=at, tz=tz,
            )  # fmt: skip
            if live and at < end and row.id not in fleeting:
                kept[row.id] = (key, f)
        result.key_results[row.id] = f
        terms.setdefault(row.objective, []).append(
            fc.Term(f.progress, f.progress_low, f.progress_high, row.weight, f.probability is not None)
        )
    result.objectives, aligned_forecasts = forecast_graph.objective_forecasts(
        info=info,
        terms=terms,
        children_contribute=org.children_contribute,
        aligned=aligned,
        links=_links(org=org, cycle=cycle) if linked else [],
        kept=fc_cache.forecasts_kept(org.pk, "objectives") if live and at < end else None,
    )
    result.key_results.update(aligned_forecasts)
    return result


def _summaries(
    *,
    org: Organization,
    cycle: Cycle,
    krs: list[KeyResultRow],
    origins: dict[int, float],
    on: datetime,
    prints: dict[int, fc_cache.Print] | None,
    fleeting: set[int],
) -> dict[int, fc.Summary]:
    """Each key result's check-ins summarised as of ``on``: with ``prints`` (live), from
    ``forecast_cache`` and one query for the key results it misses; else all read in one query."""
    at, tz = on.timestamp(), org.tzinfo

    def read(ids: list[int] | None) -> dict[int, tuple[fc.Summary, bool]]:
        check_ins = CheckIn.objects.filter(organization=org)
        if ids is None:
            check_ins = check_ins.filter(key_result__objective__cycle=cycle, created_at__lte=on)
        else:
            check_ins = check_ins.filter(key_result_id__in=ids)
        # forecast_key_result's sort of each key result's few: no sort of them all in the database
        points = _check_in_points(check_ins, ordered=False)
        wanted = ids if ids is not None else [row.id for row in krs]
        fleeting.update(k for k in wanted if any(p.at > at for p in points.get(k, [])))
        return {
            k: (
                fc.summarise(points.get(k, []), origin=origins[k], on=at, tz=tz),
                k not in fleeting,  # kept only when nothing is still to come
            )
            for k in wanted
        }

    if prints is None:
        return {k: s for k, (s, _) in read(None).items()}
    # Only those the kept forecasts miss are asked for (a dict keeps the order).
    return fc_cache.summaries(org_id=org.pk, wanted=prints, read=read)


def cycle_forecast(*, org: Organization, cycle: Cycle) -> CycleForecast:
    """``build_cycle_forecast`` now. Not cached as a whole (unpickling ten thousand forecasts
    costs more than a cached document should): what reads it caches its own result, the cascade
    and the API as JSON, the dashboard its short list."""
    return build_cycle_forecast(org=org, cycle=cycle)


def forecasts_for(
    *, org: Organization, key_results: Iterable[KeyResult], loaded: bool = False
) -> dict[int, fc.Forecast]:
    """Each key result's forecast now, by id, for pages that already hold the key results (with
    their objective and cycle): their check-ins in one query, or none when ``loaded`` (they were
    prefetched as ``check_ins``). A key result without a cycle (a backlog draft) stands where it is;
    an aligned one is its cycle's (``build_cycle_forecast``, three queries more per such cycle)."""
    krs = list(key_results)
    if loaded:
        points = _points(
            (kr.pk, c.value, c.confidence, c.created_at.timestamp()) for kr in krs for c in kr.check_ins.all()
        )
    else:
        points = _check_in_points(CheckIn.objects.filter(organization=org, key_result_id__in=[kr.pk for kr in krs]))
    now = timezone.now()
    found: dict[int, fc.Forecast] = {}
    for kr in krs:
        objective = kr.objective
        cycle = objective.cycle
        row = KeyResultRow(kr.pk, objective.pk, kr.kind, kr.start_value, kr.target_value, kr.current_value,
                           kr.weight, kr.confidence)  # fmt: skip
        origin, end = now, now
        if cycle is not None:
            origin = _origin(org, cycle.start_date, objective.activated_at)
            end = _midnight(org, cycle.end_date + timedelta(days=1))
        found[kr.pk] = key_result_forecast_of(
            org=org, row=row, points=points.get(kr.pk, []), origin=origin, end=end, on=now
        )
    # An aligned key result forecasts from its contributors' forecasts: its cycle's, built once.
    cycles = {kr.objective.cycle_id: kr.objective.cycle for kr in krs if kr.kind == KeyResultKind.ALIGNED}
    for cycle_id, cycle in cycles.items():
        if cycle is not None:
            whole = build_cycle_forecast(org=org, cycle=cycle).key_results
            found.update({kr.pk: whole[kr.pk] for kr in krs if kr.objective.cycle_id == cycle_id and kr.pk in whole})
    return found


def key_result_forecast(*, org: Organization, key_result: KeyResult) -> fc.Forecast:
    """One key result's forecast now: one query for its check-ins."""
    return forecasts_for(org=org, key_results=[key_result])[key_result.pk]


@dataclass(frozen=True)
class MissRow:
    """An objective on the "predicted to miss" list, with its forecast and its owner's name
    (None for the company, which pages call "Company" in their language)."""

    id: int
    title: str
    commitment: str
    owner_type: str
    owner_team: int | None
    owner_user: int | None
    owner_name: str | None
    forecast: fc.ObjectiveForecast


def predicted_to_miss(*, org: Organization, cycle: Cycle, limit: int | None = None) -> list[MissRow]:
    """The cycle's active objectives forecast under their type's bar, the furthest and surest
    misses first (``CycleForecast.predicted_to_miss``), with their owners' names: three queries,
    none when cached under the data version."""
    return cached(
        "forecast-misses", org, lambda: _predicted_to_miss(org=org, cycle=cycle, limit=limit), cycle.pk, limit
    )


def _predicted_to_miss(*, org: Organization, cycle: Cycle, limit: int | None) -> list[MissRow]:
    doc = cycle_forecast(org=org, cycle=cycle)
    missing = doc.predicted_to_miss()[:limit]
    names = {
        o.pk: o.owner_label
        for o in Objective.objects.filter(organization=org, pk__in=[m.id for m in missing]).select_related(
            "owner_team", "owner_user"
        )
    } if missing else {}  # fmt: skip
    return [
        MissRow(
            m.id, m.title, m.commitment, m.owner_type, m.owner_team, m.owner_user, names.get(m.id), doc.objectives[m.id]
        )  # fmt: skip
        for m in missing
    ]


# --- calibration -------------------------------------------------------------------------------

CALIBRATION_VERSION = 1  # raise when the method changes: cached calibrations are then rebuilt


@dataclass(frozen=True)
class CalibrationReport:
    """The calibration of every checkpoint on the organisation's closed cycles."""

    cycles: int
    key_results: int
    checkpoints: tuple[fc.Calibration, ...]

    @property
    def enough(self) -> bool:
        return self.key_results >= fc.MIN_HISTORY


def _replay_rows(*, org: Organization) -> tuple[list[tuple[Any, ...]], dict[int, list[fc.Point]]]:
    """Every graded key result of the closed cycles (objectives not cancelled) and their
    check-ins: two queries."""
    rows = list(
        KeyResult.objects.filter(organization=org, grade__isnull=False, objective__cycle__status=CycleStatus.CLOSED)
        .exclude(objective__status=ObjectiveStatus.CANCELLED)
        .order_by("id")
        .values_list(
            "id",
            "objective_id",
            "kind",
            "start_value",
            "target_value",
            "weight",
            "grade",
            "objective__commitment",
            "objective__activated_at",
            "objective__cycle__start_date",
            "objective__cycle__end_date",
        )  # fmt: skip
    )
    points = _check_in_points(
        CheckIn.objects.filter(
            organization=org,
            key_result__grade__isnull=False,
            key_result__objective__cycle__status=CycleStatus.CLOSED,
        ).exclude(key_result__objective__status=ObjectiveStatus.CANCELLED)
    )
    return rows, points


def replay(
    *, org: Organization, rows: list[tuple[Any, ...]], points: dict[int, list[fc.Point]], share: float
) -> list[fc.Replay]:
    """Each closed key result forecast as of the end of the day ``share`` of its cycle had
    elapsed, with only the check-ins known then, beside its grade."""
    found: list[fc.Replay] = []
    for kid, oid, kind, start, target, weight, grade, commitment, activated_at, c_start, c_end in rows:
        day = fc.checkpoint_day(start=c_start, end=c_end, share=share)
        on = _midnight(org, day + timedelta(days=1))
        # As it stood then: the start value, moved only by the check-ins the forecast sees.
        row = KeyResultRow(kid, oid, kind, start, target, start, weight, None)
        origin = _origin(org, c_start, activated_at if activated_at is not None and activated_at < on else None)
        end = _midnight(org, c_end + timedelta(days=1))
        f = key_result_forecast_of(org=org, row=row, points=points.get(kid, []), origin=origin, end=end, on=on)
        found.append(fc.Replay(projected=f.progress, grade=grade, commitment=commitment))
    return found


def build_calibration(*, org: Organization) -> CalibrationReport:
    """Replays at mid-cycle and at two thirds, compared with the grades at close: three queries."""
    cycles = Cycle.objects.filter(organization=org, status=CycleStatus.CLOSED).count()
    rows, points = _replay_rows(org=org)
    checkpoints = tuple(
        fc.calibrate(name, replay(org=org, rows=rows, points=points, share=share)) for name, share in fc.CHECKPOINTS
    )
    return CalibrationReport(cycles=cycles, key_results=len(rows), checkpoints=checkpoints)


def calibration(*, org: Organization) -> CalibrationReport:
    """``build_calibration``, cached under a fingerprint of the closed cycles (how many key results
    they hold, their grades, the last change to one, the last close) rather than the data version:
    a check-in in the open cycle changes nothing here, so it costs one aggregate query, not a
    replay of every closed cycle. Closed cycles take no check-ins; re-opening one changes the
    fingerprint."""
    closed = KeyResult.objects.filter(organization=org, objective__cycle__status=CycleStatus.CLOSED).aggregate(
        n=Count("id"), grades=Sum("grade"), changed=Max("updated_at"), closed=Max("objective__cycle__closed_at")
    )
    raw = ":".join(str(p) for p in ("forecast-calibration", CALIBRATION_VERSION, org.pk, *closed.values()))
    key = f"forecast-calibration-{hashlib.sha256(raw.encode()).hexdigest()[:32]}"
    cache = caches["documents"]
    report: CalibrationReport | None = cache.get(key)
    if report is None:
        report = build_calibration(org=org)
        cache.set(key, report)
    return report


def as_dict(f: fc.Forecast | fc.ObjectiveForecast) -> dict[str, Any]:
    """The API's five figures of a forecast."""
    return {"projected": f.projected, "low": f.low, "high": f.high, "probability": f.probability, "method": f.method}
