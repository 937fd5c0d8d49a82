"""The weekly e-mails (DESIGN §5, issue "digests instead of noise"):

- Monday "plan the week" to each person: what is due, what is at risk in their objectives;
- Monday "your teams' week" to managers and admins: their people's movers,
  off-track objectives, missed check-ins and red KPIs (admins: the whole organisation);
- Friday "wins" to everyone: the key results that moved most, objectives completed;

plus the buffered digests of ordinary notifications (daily, or Monday for weekly)
and the e-mails held back by quiet hours.

Each goes out at or after the organisation's reminder hour (local time), outside
the recipient's quiet hours, in the recipient's language, as HTML and plain text,
with a signed unsubscribe link. Exactly once per person and period: a
``ReminderClaim`` row (kind, "digest", period, recipient) is inserted first with
conflicts ignored, and only the claims this run inserted are sent: each e-mail
and post is an outbox row written with its claim (``notifications.outbox``), delivered
after the commit and retried until sent, or given up and shown to admins.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.numbers import format_percent
from cycles.models import CycleStatus
from notifications import channels
from notifications.mailer import Mail, absolute, language_of, unsubscribe_headers, unsubscribe_url
from notifications.models import (
    DIGEST_KINDS,
    ChannelEvent,
    Delivery,
    MailDue,
    Notification,
    NotificationKind,
    NotificationSettings,
    ReminderClaim,
    delivery_for,
    is_quiet,
)
from notifications.outbox import email_row, outbox_add
from objectives import progress as progress_math
from objectives.models import CheckIn, KeyResult, Objective, ObjectiveStatus
from orgs import permissions
from orgs.models import Membership, Organization, Role, User
from reminders.inbox import KpiValuesDue, _check_in_items, _kpi_items, key_results_to_check_in, kpi_values_due
from reminders.sweep import People, Wanted, _insert_claims, local_now, missed_check_in_wanted, people_of

MONDAY, FRIDAY = 0, 4
TOP = 5


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
    return [m for m in result if m.delta > 1e-9][:limit]  # limit None: all of them


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
    moved = [m for m in week.movers if kr_ids is None or m.key_result.pk in kr_ids][:TOP]
    return {
        "movers": moved,
        "off_track": off,
        "missed": missed_rows,
        "red_kpis": red,
        "everyone": reach is None,
        "empty": not (moved or off or missed_rows or red),
    }


def wins(*, org: Organization, now: datetime, today: date) -> dict[str, Any]:
    week_ago = now - timedelta(days=7)
    completed = list(
        _running_objectives(org, today)
        .filter(progress__gte=1.0 - 1e-9, key_results__last_check_in_at__gte=week_ago)
        .distinct()
        .order_by("title")
    )
    moved = movers(org=org, since=week_ago)
    return {"movers": moved, "completed": completed, "empty": not moved and not completed}


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


def _wins_to_channels(
    org: Organization, context: dict[str, Any], week: date, result: DigestResult, *, dry_run: bool, dispatch: bool
) -> None:
    """Post the wins to each channel carrying them, once per channel and week, in the
    organisation's language. Nothing to say posts and claims nothing, so a win checked in
    later that Friday is still posted by a later sweep."""
    empty = bool(context.get("empty"))
    with translation.override(org.language):
        post = wins_post(org=org, context=context, week=week)
    claimed = channels.channel_publish_once(
        org=org,
        event=ChannelEvent.WINS,
        period=week,
        text=post["text"],
        url=post["url"],
        facts=post["facts"],
        data=post["data"],
        dry_run=dry_run or empty,
        dispatch=dispatch,
        outbox_ids=result.outbox_ids,
    )
    for channel in claimed:
        result.planned.append(Planned(NotificationKind.WINS, f"channel {channel.name}", org.language, empty, True))
    if not (dry_run or empty):
        result.add_posts(NotificationKind.WINS, len(claimed))


# --- sending -------------------------------------------------------------------------------


DIGEST_ORDER = (NotificationKind.PLAN_WEEK, NotificationKind.TEAM_WEEK, NotificationKind.WINS)
SUBJECTS = {
    NotificationKind.PLAN_WEEK: lambda: _("Plan the week"),
    NotificationKind.TEAM_WEEK: lambda: _("Your teams' week"),
    NotificationKind.WINS: lambda: _("This week's wins"),
}


@dataclass
class Planned:
    """One weekly e-mail a run sends, or would send (``--dry-run``)."""

    kind: str
    to: str  # an e-mail address, or "channel <name>"
    language: str
    empty: bool  # nothing to say: no mail, the claim alone marks the week as done (a channel: no post, no claim)
    channel: bool = False


@dataclass
class DigestResult:
    sent: dict[str, int] = field(default_factory=dict)  # e-mails written to the outbox, by kind
    posted: dict[str, int] = field(default_factory=dict)  # chat and webhook posts written to the outbox, by kind
    planned: list[Planned] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)  # those e-mails and posts (sent after the commit)

    def add(self, kind: str, n: int = 1) -> None:
        if n:
            self.sent[kind] = self.sent.get(kind, 0) + n

    def add_posts(self, kind: str, n: int) -> None:
        if n:
            self.posted[kind] = self.posted.get(kind, 0) + n


def _due_kinds(org: Organization, local: datetime) -> list[str]:
    if local.hour < org.reminder_hour:
        return []
    if local.weekday() == MONDAY:
        return [NotificationKind.PLAN_WEEK, NotificationKind.TEAM_WEEK]
    if local.weekday() == FRIDAY:
        return [NotificationKind.WINS]
    return []


def _render(kind: str, org: Organization, user: User, context: dict[str, Any]) -> Mail:
    ctx = {
        **context,
        "org": org,
        "user": user,
        "title": SUBJECTS[kind](),
        "site": absolute(""),
        "inbox_url": absolute(reverse("inbox:inbox", kwargs={"slug": org.slug})),
        "preferences_url": absolute(reverse("notifications:preferences", kwargs={"slug": org.slug})),
        "unsubscribe_url": unsubscribe_url(org_id=org.pk, user_id=user.pk, kind=kind),
    }
    subject = _("[%(org)s] %(title)s") % {"org": org.name, "title": ctx["title"]}
    text = render_to_string(f"reminders/email/{kind}.txt", ctx)
    html = render_to_string(f"reminders/email/{kind}.html", ctx)
    return Mail(
        to=user.email, subject=subject, text=text, html=html, headers=unsubscribe_headers(ctx["unsubscribe_url"])
    )


def _eligible(kind: str, m: Membership, row: NotificationSettings | None, local: datetime, people: People) -> bool:
    if delivery_for(row.deliveries if row else {}, kind) == Delivery.OFF:
        return False
    if row is not None and is_quiet(row.quiet_start, row.quiet_end, local.time()):
        return False  # a later run (after quiet hours) claims it
    if kind == NotificationKind.TEAM_WEEK:
        return permissions.is_admin(m) or (m.role == Role.MANAGER and bool(people.managed_team_ids(m.user_id)))
    if kind == NotificationKind.PLAN_WEEK:
        return permissions.can_write(m)
    return True


def send_digests(
    *,
    org: Organization,
    now: datetime | None = None,
    kinds: list[str] | None = None,
    dry_run: bool = False,
    dispatch: bool = True,
) -> DigestResult:
    """The weekly e-mails now due in one organisation, each claimed first: one per person,
    kind and week (the claim's period is the week's Monday). ``kinds`` sends those now,
    whatever the day (``manage.py send_digests --kind``), still once per week; ``dry_run``
    claims and sends nothing and lists who would get what in ``planned``; ``dispatch`` off
    leaves the outbox rows (``outbox_ids``) for the caller to deliver and report.

    Composition reads the organisation once (``OrgWeek``): the number of queries does not
    depend on the number of recipients."""
    now = now or timezone.now()
    local = local_now(org, now)
    result = DigestResult()
    kinds = _due_kinds(org, local) if kinds is None else [k for k in DIGEST_ORDER if k in kinds]
    if not kinds:
        return result
    today = local.date()
    monday = today - timedelta(days=today.weekday())
    memberships = list(Membership.objects.filter(organization=org).select_related("user").order_by("user__email"))
    choices = {s.user_id: s for s in NotificationSettings.objects.filter(organization=org)}
    people = people_of(org)
    week = OrgWeek.read(org=org, today=today, now=now, people=people, kinds=kinds)
    shared_wins = wins(org=org, now=now, today=today) if NotificationKind.WINS in kinds else None
    if shared_wins is not None:
        _wins_to_channels(org, shared_wins, monday, result, dry_run=dry_run, dispatch=dispatch)
    for kind in kinds:
        eligible = [m for m in memberships if _eligible(kind, m, choices.get(m.user_id), local, people)]
        if not eligible:
            continue
        run = str(uuid.uuid4())
        with transaction.atomic():
            wanted = [Wanted(kind, "digest", monday, m.user_id, {}, "") for m in eligible]
            if dry_run:
                taken = set(
                    ReminderClaim.objects.filter(
                        organization=org, kind=kind, subject="digest", period=monday
                    ).values_list("recipient_id", flat=True)
                )
                mine = {m.user_id for m in eligible} - taken
            else:
                _insert_claims(org, run, now, wanted)
                mine = set(
                    ReminderClaim.objects.filter(organization=org, run=run).values_list("recipient_id", flat=True)
                )
            mails = []
            for m in eligible:
                if m.user_id not in mine:
                    continue
                language = language_of(m.user, org)
                with translation.override(language):  # item titles too, not only the templates
                    if kind == NotificationKind.PLAN_WEEK:
                        context = plan_week(week=week, user=m.user)
                    elif kind == NotificationKind.TEAM_WEEK:
                        context = team_week(week=week, membership=m)
                    else:
                        context = shared_wins or {}
                    empty = bool(context.get("empty"))
                    result.planned.append(Planned(kind, m.user.email, language, empty))
                    if not empty and not dry_run:
                        mail = _render(kind, org, m.user, context)
                        mails.append(email_row(org=org, user=m.user, mail=mail, topic=kind))
            if not dry_run:
                result.outbox_ids += outbox_add(mails, dispatch=dispatch)
        result.add(kind, len(mails))
    return result


# --- buffered notifications and quiet hours --------------------------------------------------


def flush_buffered(*, org: Organization, now: datetime | None = None, dispatch: bool = True) -> DigestResult:
    """E-mail what waited: notifications held by quiet hours (as soon as they end),
    the daily digest (each day from the reminder hour) and the weekly one (Mondays).
    Rows are taken with ``SELECT … FOR UPDATE SKIP LOCKED`` and cleared in the same
    transaction, so two overlapping runs never mail one notification twice; digests
    are also claimed per person and day."""
    now = now or timezone.now()
    local = local_now(org, now)
    result = DigestResult()
    due_kinds = [MailDue.HELD]
    if local.hour >= org.reminder_hour:
        due_kinds.append(MailDue.DAILY)
        if local.weekday() == MONDAY:
            due_kinds.append(MailDue.WEEKLY)
    pending_users = set(
        Notification.objects.filter(organization=org, mail_due__in=due_kinds).values_list("recipient_id", flat=True)
    )
    if not pending_users:
        return result
    choices = {s.user_id: s for s in NotificationSettings.objects.filter(organization=org, user_id__in=pending_users)}
    quiet = {uid for uid, row in choices.items() if is_quiet(row.quiet_start, row.quiet_end, local.time())}
    users = {u.pk: u for u in User.objects.filter(pk__in=pending_users - quiet)}
    today = local.date()
    for due in due_kinds:
        with transaction.atomic():
            recipients = set(users)
            if due != MailDue.HELD:
                run = str(uuid.uuid4())
                _insert_claims(
                    org,
                    run,
                    now,
                    [Wanted(NotificationKind.DIGEST, str(due), today, uid, {}, "") for uid in recipients],
                )
                recipients = set(
                    ReminderClaim.objects.filter(organization=org, run=run).values_list("recipient_id", flat=True)
                )
            rows = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(organization=org, mail_due=due, recipient_id__in=recipients)
                .order_by("recipient_id", "created_at", "id")
            )
            if not rows:
                continue
            Notification.objects.filter(pk__in=[n.pk for n in rows]).update(mail_due="")
            by_user: dict[int, list[Notification]] = {}
            for n in rows:
                by_user.setdefault(n.recipient_id, []).append(n)
            mails = [
                email_row(
                    org=org, user=users[uid], mail=_buffered_mail(org, users[uid], items, due), topic=f"digest_{due}"
                )
                for uid, items in by_user.items()
            ]
            result.outbox_ids += outbox_add(mails, dispatch=dispatch)
            result.add(f"digest_{due}", len(mails))
    return result


def _buffered_mail(org: Organization, user: User, items: list[Notification], due: str) -> Mail:
    with translation.override(language_of(user, org)):
        if due == MailDue.DAILY:
            title = _("Your daily digest")
        elif due == MailDue.WEEKLY:
            title = _("Your weekly digest")
        else:
            title = _("While you were away")
        ctx = {
            "org": org,
            "user": user,
            "title": title,
            "items": [
                {"message": n.message, "url": absolute(n.url) if n.url else "", "kind": n.get_kind_display()}
                for n in items
            ],
            "preferences_url": absolute(reverse("notifications:preferences", kwargs={"slug": org.slug})),
            "unsubscribe_url": "",
        }
        subject = _("[%(org)s] %(title)s") % {"org": org.name, "title": title}
        text = render_to_string("reminders/email/buffered.txt", ctx)
        html = render_to_string("reminders/email/buffered.html", ctx)
    return Mail(to=user.email, subject=subject, text=text, html=html)


def digest_sweep(*, now: datetime | None = None, org_slug: str | None = None, dispatch: bool = True) -> DigestResult:
    total = DigestResult()
    orgs = Organization.objects.all()
    if org_slug:
        orgs = orgs.filter(slug=org_slug)
    for org in orgs:
        for r in (
            flush_buffered(org=org, now=now, dispatch=dispatch),
            send_digests(org=org, now=now, dispatch=dispatch),
        ):
            total.outbox_ids += r.outbox_ids
            for k, v in r.sent.items():
                total.add(k, v)
            for k, v in r.posted.items():
                total.add_posts(k, v)
    return total


__all__ = ["DIGEST_KINDS", "digest_sweep", "flush_buffered", "movers", "plan_week", "send_digests", "team_week", "wins"]
