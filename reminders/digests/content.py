"""What the weekly e-mails say: each person's week to plan, a manager's teams' week, the
Friday wins (and their post to chat and webhook channels). Read once per organisation
(``OrgWeek``), so the queries do not grow with the recipients."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _

from core.numbers import format_percent
from cycles.models import CycleStatus
from notifications.models import (
    NotificationKind,
)
from objectives import forecasts
from objectives import progress as progress_math
from objectives.forecasts import MissRow
from objectives.models import CheckIn, KeyResult, Objective, ObjectiveStatus
from objectives.restricted import has_restricted
from orgs import permissions
from orgs.models import Membership, Organization, User
from reminders.inbox import KpiValuesDue, _check_in_items, _kpi_items, key_results_to_check_in, kpi_values_due
from reminders.sweep import People, Wanted, missed_check_in_wanted

MONDAY, FRIDAY = 0, 4
TOP = 5
# The smallest change of progress a mover shows: half a percentage point, which reads as 1%.
SHOWN_MOVE = 0.005


@dataclass
class Mover:
    key_result: KeyResult
    before: float  # progress at the start of the window, clamped to [0, 1]
    after: float  # progress now
    delta: float


def movers(
    *, org: Organization, since: datetime, key_result_ids: set[int] | None = None, limit: int | None = TOP
) -> list[Mover]:
    """Key results checked in since ``since``, by how much their progress moved
    (now minus just before ``since``: the last earlier check-in's value, else the
    start value), biggest rise first. Two queries."""
    before_value = (
        CheckIn.objects.filter(key_result=OuterRef("pk"), created_at__lt=since)
        .order_by("-created_at", "-id")
        .values("value")[:1]
    )
    krs = KeyResult.objects.filter(organization=org, last_check_in_at__gte=since).select_related("objective", "owner")
    if key_result_ids is not None:
        krs = krs.filter(pk__in=key_result_ids)
    result = []
    for kr in krs.annotate(value_before=Subquery(before_value)):
        start = kr.value_before if kr.value_before is not None else kr.start_value
        before = progress_math.clamp01(
            progress_math.key_result_progress_raw(
                kind=kr.kind, start=kr.start_value, target=kr.target_value, current=start
            )
        )
        after = kr.progress_value()
        result.append(Mover(kr, before, after, after - before))
    result.sort(key=lambda m: (-m.delta, m.key_result.pk))
    # A move the e-mail would show as "+0%" (under half a percentage point) is no move.
    return [m for m in result if m.delta >= SHOWN_MOVE][:limit]  # limit None: all of them


def _running_objectives(org: Organization, today: date) -> Any:
    return Objective.objects.filter(
        organization=org,
        status=ObjectiveStatus.ACTIVE,
        cycle__status=CycleStatus.ACTIVE,
        cycle__start_date__lte=today,
        cycle__end_date__gte=today,
    ).select_related("cycle", "owner_team", "owner_user")


def _with_health(objectives: list[Objective], org: Organization, today: date) -> list[Objective]:
    for o in objectives:
        o.health_value = o.health(today, org=org)  # type: ignore[attr-defined]
    return objectives


def _predicted_to_miss(org: Organization, running: list[Objective]) -> list[MissRow]:
    """The "predicted to miss" list of every cycle the running objectives are in (usually one)."""
    cycles = {o.cycle_id: o.cycle for o in running if o.cycle is not None}
    rows = [row for cycle in cycles.values() for row in forecasts.predicted_to_miss(org=org, cycle=cycle)]
    by_id = {r.id: r for r in rows}
    return [by_id[o.pk] for o in running if o.pk in by_id] if len(cycles) > 1 else rows


@dataclass
class OrgWeek:
    """What the weekly e-mails of one organisation are composed from, read once per run so
    composing costs the same number of queries for 3 recipients as for 3,000; each
    recipient's digest is then cut from it in memory."""

    org: Organization
    today: date
    now: datetime
    people: People
    to_check_in: dict[int, list[KeyResult]]
    kpi_due: KpiValuesDue
    running: list[Objective]  # with ``health_value``
    kr_owner_of_objective: dict[int, set[int]]
    key_results_of: dict[int, set[int]]  # owner → key result ids
    missed: list[Wanted]
    red_kpis: list[Any]
    movers: list[Mover]  # every mover of the week, biggest first
    # The running cycles' objectives forecast to miss their bar, furthest and surest first.
    missing: list[MissRow] = field(default_factory=list)
    # Whether any objective or KPI is restricted: then each digest is cut for its reader.
    restricted: bool = False

    @classmethod
    def read(cls, *, org: Organization, today: date, now: datetime, people: People, kinds: list[str]) -> OrgWeek:
        from kpis.selectors import kpi_list

        plan, team = NotificationKind.PLAN_WEEK in kinds, NotificationKind.TEAM_WEEK in kinds
        running = _with_health(list(_running_objectives(org, today)), org, today) if plan or team else []
        owners: dict[int, set[int]] = {}
        key_results_of: dict[int, set[int]] = {}
        if plan or team:
            for kr_id, objective_id, owner_id in KeyResult.objects.filter(organization=org).values_list(
                "pk", "objective_id", "owner_id"
            ):
                owners.setdefault(objective_id, set()).add(owner_id)
                key_results_of.setdefault(owner_id, set()).add(kr_id)
        return cls(
            org=org,
            today=today,
            now=now,
            people=people,
            to_check_in=key_results_to_check_in(org, today, people.roles) if plan else {},
            kpi_due=kpi_values_due(org, today, people) if plan else KpiValuesDue([], {}),
            running=running,
            kr_owner_of_objective=owners,
            key_results_of=key_results_of,
            missed=missed_check_in_wanted(org, today, people) if team else [],
            red_kpis=[k for k in kpi_list(org=org, active=True, history=1) if k.status == "red"] if team else [],
            movers=movers(org=org, since=now - timedelta(days=7), limit=None) if team else [],
            missing=_predicted_to_miss(org, running) if team else [],
            restricted=has_restricted(org),
        )


def plan_week(*, week: OrgWeek, user: User) -> dict[str, Any]:
    """What is due this week, and what is at risk in the objectives they own or hold key results in.
    No query: composed from ``week``, in the active language."""
    org, today = week.org, week.today
    due = _check_in_items(org, user, today, week.to_check_in.get(user.pk, [])) + _kpi_items(
        org, user, today, week.kpi_due
    )
    mine = [
        o for o in week.running if o.owner_user_id == user.pk or user.pk in week.kr_owner_of_objective.get(o.pk, set())
    ]
    at_risk = [o for o in mine if o.health_value != progress_math.Health.ON_TRACK]  # type: ignore[attr-defined]
    return {"due": due, "at_risk": at_risk, "empty": not due and not at_risk}


def _people_in_reach(membership: Membership, people: People) -> set[int] | None:
    """Who a manager's digest covers (None: everyone, for admins)."""
    if permissions.is_admin(membership):
        return None
    teams = people.managed_team_ids(membership.user_id)
    return {uid for uid, t in people.teams_of.items() if t & teams} - {membership.user_id}


def team_week(*, week: OrgWeek, membership: Membership) -> dict[str, Any]:
    """Their people's movers, off-track objectives, missed check-ins and red KPIs (admins: everyone's).
    ``all_movers`` and ``all_predicted_to_miss`` keep every row of their people, as ``wins`` does.
    No query: composed from ``week``."""
    reach = _people_in_reach(membership, week.people)
    teams = None if reach is None else week.people.managed_team_ids(membership.user_id)

    def covered(owner_user_id: int | None, owner_team_id: int | None) -> bool:
        return reach is None or owner_user_id in reach or owner_team_id in teams  # type: ignore[operator]

    kr_ids = None if reach is None else {kr for uid in reach for kr in week.key_results_of.get(uid, set())}
    off = [
        o
        for o in week.running
        if o.health_value == progress_math.Health.OFF_TRACK and covered(o.owner_user_id, o.owner_team_id)  # type: ignore[attr-defined]
    ]
    missed_rows = [
        w
        for w in week.missed
        if w.kind == NotificationKind.CHECK_IN_MISSED and (reach is None or w.recipient_id in reach)
    ]
    red = [k for k in week.red_kpis if covered(k.owner_user_id, k.owner_team_id)]
    reached = [m for m in week.movers if kr_ids is None or m.key_result.pk in kr_ids]
    moved = reached[:TOP]
    all_missing = [r for r in week.missing if covered(r.owner_user, r.owner_team)]
    missing = all_missing[:TOP]
    return {
        "movers": moved,
        "all_movers": reached,  # a reader who may not see some still gets their own top ``TOP``
        "off_track": off,
        "missed": missed_rows,
        "red_kpis": red,
        "predicted_to_miss": missing,
        "all_predicted_to_miss": all_missing,  # likewise
        "everyone": reach is None,
        "empty": not (moved or off or missed_rows or red or missing),
    }


def wins(*, org: Organization, now: datetime, today: date) -> dict[str, Any]:
    """The week's wins as a reader who sees everything reads them: the ``TOP`` movers and the
    objectives completed. ``all_movers`` keeps every mover, so an audience that may not see
    some (``reminders.digests.restricted``) still gets its own top ``TOP``, not fewer."""
    week_ago = now - timedelta(days=7)
    completed = list(
        _running_objectives(org, today)
        .filter(progress__gte=1.0 - 1e-9, key_results__last_check_in_at__gte=week_ago)
        .distinct()
        .order_by("title")
    )
    every = movers(org=org, since=week_ago, limit=None)
    moved = every[:TOP]
    return {"movers": moved, "all_movers": every, "completed": completed, "empty": not moved and not completed}


def wins_post(*, org: Organization, context: dict[str, Any], week: date) -> dict[str, Any]:
    """The Friday wins as a chat post, in the active language: the text, the facts (each
    mover, then each objective completed) and, for the JSON webhook, the same as data.
    No query: composed from ``wins``'s context."""
    movers_shown: list[Mover] = context["movers"]
    completed: list[Objective] = context["completed"]
    facts = [
        (
            f"{m.key_result.title} ({m.key_result.owner.display_name})",
            f"{format_percent(m.before)} → {format_percent(m.after)} (+{format_percent(m.delta)})",
        )
        for m in movers_shown
    ] + [(_("Objective completed"), o.title) for o in completed]
    data = {
        "week": week.isoformat(),
        "movers": [
            {
                "key_result": m.key_result.pk,
                "title": m.key_result.title,
                "objective": m.key_result.objective_id,
                "owner": m.key_result.owner.display_name,
                "before": round(m.before, 4),
                "after": round(m.after, 4),
                "delta": round(m.delta, 4),
            }
            for m in movers_shown
        ],
        "completed": [{"objective": o.pk, "title": o.title} for o in completed],
    }
    text = _("This week's wins in %(org)s. Thank the people behind them!") % {"org": org.name}
    return {
        "text": text,
        "facts": facts,
        "data": data,
        "url": reverse("scorecards:dashboard", kwargs={"slug": org.slug}),
    }
