"""The reminder sweep (DESIGN §5): KPI measurements due and overdue, weekly
key-result check-ins, and missed check-ins (a key result without a check-in
for ``org.check_in_missed_days`` reminds its owner; past a further
``org.reminder_grace_days`` the owner's managers are told, once per key result
and week). Run every 15 minutes by beat and by ``manage.py send_reminders``.

Each person's delivery choice per kind is respected (``notifications``): off
sends nothing, a digest or quiet hours keep the e-mail for later.

Exactly once: every reminder is first *claimed* by inserting a row whose
(kind, subject, period, recipient) is unique, with conflicts ignored, inside
the transaction that also creates the in-app notifications. Only the claims
this run inserted (its ``run`` token) are notified, so two overlapping sweeps,
or a retried one, can never notify twice. Their e-mails, escalation posts and push
notifications are outbox rows written in that same transaction (``notifications.outbox``): they
leave after the commit and are retried until sent, or given up and shown to admins.

Query count does not depend on the number of KPIs or people: each step reads
or writes whole sets.
"""

from __future__ import annotations

import json
import logging
import uuid
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cycles.models import CycleStatus
from integrations.outreach import check_in_push_rows, check_in_reminders_send
from integrations.services.mail import reminder_replies, with_reply
from kpis.models import Kpi
from notifications.channels import channel_publish_outbox
from notifications.models import ChannelEvent, Notification, NotificationKind, ReminderClaim
from notifications.outbox import email_row, outbox_add
from notifications.services import notification_mail, plan_mail, settings_for
from notifications.subjects import split_subject
from objectives.models import KeyResult, ObjectiveStatus
from objectives.restricted import has_restricted
from orgs import permissions
from orgs.models import Membership, Organization, Role, Team, TeamMember, User
from orgs.visibility import Visibility
from reminders.seen import hidden_pairs

log = logging.getLogger(__name__)
CHECK_IN_WEEKDAY = 0  # Monday: the weekly check-in reminder goes out at the start of the week


@dataclass(frozen=True)
class Wanted:
    kind: str
    subject: str
    period: date
    recipient_id: int
    message_args: dict
    url: str


@dataclass
class SweepResult:
    sent: int = 0  # in-app notifications
    emails: int = 0  # e-mails written to the outbox (sent after the commit)
    by_kind: dict[str, int] = field(default_factory=dict)
    outbox_ids: list[int] = field(default_factory=list)  # the e-mails and posts this sweep wrote


def local_now(org: Organization, now: datetime) -> datetime:
    return now.astimezone(zoneinfo.ZoneInfo(org.timezone))


@dataclass
class People:
    """Who is who in one organisation, read once per sweep (four queries)."""

    teams_of: dict[int, set[int]]
    managers_of: dict[int, set[int]]
    parent_of: dict[int, int | None]
    roles: dict[int, str]

    @property
    def admins(self) -> set[int]:
        return {uid for uid, role in self.roles.items() if role == Role.ADMIN}

    @property
    def writers(self) -> set[int]:
        """Current members who may record values (not former members, not viewers)."""
        return {uid for uid, role in self.roles.items() if role != Role.VIEWER}

    def managed_team_ids(self, user_id: int) -> frozenset[int]:
        """``permissions.managed_team_ids`` without a query: the teams the person manages and every team below."""
        if self.roles.get(user_id) not in permissions.PLANNER_ROLES:
            return frozenset()
        roots = {t for t, managers in self.managers_of.items() if user_id in managers}
        return frozenset(permissions.with_descendants(roots, self.parent_of))

    def managers_of_person(self, user_id: int) -> set[int]:
        return {m for t in self.teams_of.get(user_id, set()) for m in self.managers_of.get(t, set())}


def people_of(org: Organization) -> People:
    managers_of: dict[int, set[int]] = {}
    teams_of: dict[int, set[int]] = {}
    for team_id, user_id, is_manager in TeamMember.objects.filter(organization=org).values_list(
        "team_id", "user_id", "is_manager"
    ):
        teams_of.setdefault(user_id, set()).add(team_id)
        if is_manager:
            managers_of.setdefault(team_id, set()).add(user_id)
    parent_of = dict(Team.objects.filter(organization=org).values_list("id", "parent_id"))
    roles = dict(Membership.objects.filter(organization=org).values_list("user_id", "role"))
    return People(teams_of, managers_of, parent_of, roles)


def kpi_wanted(org: Organization, today: date, people: People | None = None) -> list[Wanted]:
    from kpis.models import Kpi, Measurement
    from kpis.periods import period_end, period_start, shift

    kpis = list(
        Kpi.objects.filter(organization=org, active=True).values(
            "id", "name", "frequency", "owner_type", "owner_team_id", "owner_user_id", "tracking_since"
        )
    )
    if not kpis:
        return []
    due: dict[int, date] = {}
    for k in kpis:
        current = period_start(today, frequency=k["frequency"], fiscal_year_start_month=org.fiscal_year_start_month)
        previous = shift(current, frequency=k["frequency"], periods=-1)
        since = k["tracking_since"]
        first = (
            period_start(since, frequency=k["frequency"], fiscal_year_start_month=org.fiscal_year_start_month)
            if since
            else None
        )
        if first is None or previous >= first:  # the period containing tracking_since counts
            due[k["id"]] = previous
    recorded = set(
        Measurement.objects.filter(organization=org, kpi_id__in=list(due), period__in=set(due.values())).values_list(
            "kpi_id", "period"
        )
    )
    people = people or people_of(org)
    managers_of, teams_of, parent_of = people.managers_of, people.teams_of, people.parent_of
    admins = people.admins
    # Only current members who may record values are reminded (not former members, not viewers).
    writers = people.writers
    wanted: list[Wanted] = []
    grace = timedelta(days=org.reminder_grace_days)
    for k in kpis:
        period = due.get(k["id"])
        if period is None or (k["id"], period) in recorded:
            continue
        if k["owner_type"] == "person":
            owners = {k["owner_user_id"]}
            escalate = {m for t in teams_of.get(k["owner_user_id"], set()) for m in managers_of.get(t, set())}
        elif k["owner_type"] == "team":
            owners = managers_of.get(k["owner_team_id"], set()) or admins
            escalate = managers_of.get(parent_of.get(k["owner_team_id"]), set()) or admins
        else:
            owners, escalate = admins, set()
        owners = (owners & writers) or admins
        escalate &= writers
        url = reverse("kpis:detail", kwargs={"slug": org.slug, "kpi_id": k["id"]})
        args = {"kpi": k["name"], "period": period.isoformat()}
        subject = f"kpi:{k['id']}"
        for uid in owners:
            wanted.append(Wanted(NotificationKind.KPI_DUE, subject, period, uid, args, url))
        overdue_since = period_end(period, frequency=k["frequency"]) + timedelta(days=1)
        if today >= overdue_since + grace:
            for uid in escalate - owners:
                wanted.append(Wanted(NotificationKind.KPI_OVERDUE, subject, period, uid, args, url))
    return wanted


def _check_in_wanted(org: Organization, today: date) -> list[Wanted]:
    if today.weekday() != CHECK_IN_WEEKDAY:
        return []
    week = today - timedelta(days=today.weekday())
    week_start = timezone.make_aware(datetime.combine(week, datetime.min.time()), zoneinfo.ZoneInfo(org.timezone))
    owners: dict[int, int] = {}
    for owner_id in (
        KeyResult.objects.filter(
            organization=org,
            objective__status=ObjectiveStatus.ACTIVE,
            objective__cycle__status=CycleStatus.ACTIVE,
            objective__cycle__start_date__lte=today,
            objective__cycle__end_date__gte=today,
        )
        .filter(Q(last_check_in_at__isnull=True) | Q(last_check_in_at__lt=week_start))
        .values_list("owner_id", flat=True)
    ):
        owners[owner_id] = owners.get(owner_id, 0) + 1
    url = reverse("objectives:my_check_ins", kwargs={"slug": org.slug})
    return [
        Wanted(NotificationKind.CHECK_IN_DUE, "check-ins", week, uid, {"count": n}, url) for uid, n in owners.items()
    ]


def missed_check_in_wanted(org: Organization, today: date, people: People, *, seen: bool = True) -> list[Wanted]:
    """Key results of active objectives in running cycles whose last check-in (or,
    never checked in, the later of the cycle's start and the key result's creation)
    is ``check_in_missed_days`` or more local days ago: the owner is reminded; past a
    further ``reminder_grace_days`` the owner's managers too. Claimed per key result
    and week (the week of the organisation's local today), so at most once a week each."""
    rows = KeyResult.objects.filter(
        organization=org,
        objective__status=ObjectiveStatus.ACTIVE,
        objective__cycle__status=CycleStatus.ACTIVE,
        objective__cycle__start_date__lte=today,
        objective__cycle__end_date__gte=today,
    ).values_list(
        "id", "title", "owner_id", "last_check_in_at", "created_at", "objective_id", "objective__cycle__start_date"
    )
    tz = org.tzinfo
    week = today - timedelta(days=today.weekday())
    writers = people.writers
    names = dict(User.objects.filter(memberships__organization=org).values_list("id", "name"))
    wanted: list[Wanted] = []
    for kr_id, title, owner_id, last_at, created_at, objective_id, cycle_start in rows:
        since = last_at.astimezone(tz).date() if last_at else max(cycle_start, created_at.astimezone(tz).date())
        days = (today - since).days
        if days < org.check_in_missed_days or owner_id not in writers:
            continue
        url = reverse("objectives:detail", kwargs={"slug": org.slug, "objective_id": objective_id})
        args = {"kr": title, "days": days, "owner": names.get(owner_id) or ""}
        subject = f"kr:{kr_id}"
        wanted.append(Wanted(NotificationKind.CHECK_IN_MISSED, subject, week, owner_id, args, url))
        if days >= org.check_in_missed_days + org.reminder_grace_days:
            for uid in (people.managers_of_person(owner_id) & writers) - {owner_id}:
                wanted.append(Wanted(NotificationKind.CHECK_IN_ESCALATED, subject, week, uid, args, url))
    return _seen_by_their_recipients(org, wanted) if seen else wanted  # ``seen`` off: the caller filters


def _message(kind: str, args: dict) -> str:
    if kind == NotificationKind.APPROVAL_WAITING:
        from reminders.approvals import approval_message  # it reads People and Wanted from here

        return approval_message(args)
    if kind == NotificationKind.KPI_DUE:
        return _("Time to record %(kpi)s for the period starting %(period)s.") % args
    if kind == NotificationKind.KPI_OVERDUE:
        return _("%(kpi)s has no value yet for the period starting %(period)s; it is overdue.") % args
    if kind == NotificationKind.CHECK_IN_MISSED:
        return _("“%(kr)s” has had no check-in for %(days)d days. A quick update keeps everyone in the loop.") % args
    if kind == NotificationKind.CHECK_IN_ESCALATED:
        return _("%(owner)s has not checked in on “%(kr)s” for %(days)d days.") % {
            **args,
            "owner": args.get("owner") or _("Its owner"),
        }
    return (
        translation.ngettext(
            "You have %(count)d key result to update this week.",
            "You have %(count)d key results to update this week.",
            args["count"],
        )
        % args
    )


def _all_wanted(org: Organization, today: date, people: People) -> list[Wanted]:
    from reminders.approvals import approval_wanted  # it reads People and Wanted from here

    due = kpi_wanted(org, today, people) + _check_in_wanted(org, today)
    due += missed_check_in_wanted(org, today, people, seen=False)
    return _seen_by_their_recipients(org, due + approval_wanted(org, today, people))


def _seen_by_their_recipients(org: Organization, wanted: list[Wanted]) -> list[Wanted]:
    """The reminders whose recipient may see what they are about (DESIGN §3): a key result's
    owner, a KPI's, a manager or a reviewer kept out of a team-only or private objective or KPI
    is not told its title. Nothing to read in an organisation where everything is open (asked
    first, whatever the rows: kept under the data version); else a few queries for the whole
    set (``reminders.seen``)."""
    if not has_restricted(org):
        return wanted
    hidden = hidden_pairs(org, ((w.recipient_id, w.subject) for w in wanted))
    return [w for w in wanted if (w.recipient_id, w.subject) not in hidden]


def sweep_organization(*, org: Organization, now: datetime | None = None, dispatch: bool = True) -> SweepResult:
    """Claim and send every reminder now due in one organisation. ``dispatch`` off leaves
    the outbox rows (``outbox_ids``) for the caller to deliver (the command reports them)."""
    now = now or timezone.now()
    local = local_now(org, now)
    if local.hour < org.reminder_hour:
        return SweepResult()
    today = local.date()
    people = people_of(org)
    wanted = _all_wanted(org, today, people)
    if not wanted:
        return SweepResult()
    run = str(uuid.uuid4())
    by_key = {(w.kind, w.subject, w.period, w.recipient_id): w for w in wanted}
    with transaction.atomic():
        _insert_claims(org, run, now, list(by_key.values()))
        mine = [
            by_key[key]
            for key in ReminderClaim.objects.filter(organization=org, run=run).values_list(
                "kind", "subject", "period", "recipient_id"
            )
        ]
        recipients = {w.recipient_id for w in mine}
        users = {u.pk: u for u in User.objects.filter(pk__in=recipients)}
        choices = settings_for(org=org, user_ids=recipients)
        # The weekly reminder lists the key results numbered, with a reply address to check in by e-mail.
        replies = reminder_replies(
            org=org, user_ids={w.recipient_id for w in mine if w.kind == NotificationKind.CHECK_IN_DUE}
        )
        notifications = []
        mails = []
        for w in mine:
            user = users[w.recipient_id]
            due = plan_mail(settings_row=choices.get(user.pk), kind=w.kind, local_time=local.time())
            if due is None:  # this kind is off for this person: claimed, not sent
                continue
            with translation.override(user.language or org.language):
                message = _message(w.kind, w.message_args)
            about, about_id = split_subject(w.subject)  # shown only while it may be seen
            notifications.append(
                {"recipient_id": user.pk, "kind": w.kind, "message": message[:500], "url": w.url, "mail_due": due}
                | {"subject_type": about, "subject_id": about_id}
            )
            if due == "":
                mail = notification_mail(org=org, user=user, kind=w.kind, message=message, url=w.url)
                if w.kind == NotificationKind.CHECK_IN_DUE and user.pk in replies:
                    with translation.override(user.language or org.language):
                        mail = with_reply(mail, replies[user.pk])
                mails.append(email_row(org=org, user=user, mail=mail, topic=w.kind))
        _insert_notifications(org, now, notifications)
        outbox_ids = outbox_add(mails, dispatch=dispatch)
        outbox_ids += _publish_escalations(org, mine, dispatch=dispatch)
        due_chat = [w.recipient_id for w in mine if w.kind == NotificationKind.CHECK_IN_DUE]
        if due_chat:  # pushes are outbox rows too; Slack and Teams once per claim, after the commit
            outbox_ids += outbox_add(check_in_push_rows(org=org, user_ids=due_chat), dispatch=dispatch)
            transaction.on_commit(partial(check_in_reminders_send, org_id=org.pk, user_ids=due_chat))
    result = SweepResult(sent=len(notifications), emails=len(mails), outbox_ids=outbox_ids)
    for n in notifications:
        result.by_kind[n["kind"]] = result.by_kind.get(n["kind"], 0) + 1
    return result


def _publish_escalations(org: Organization, claimed: list[Wanted], *, dispatch: bool = True) -> list[int]:
    """Escalations also go to the organisation's chat channels that carry them, once per
    subject: outbox rows written with the claims. Returns their ids."""
    ids: list[int] = []
    seen: set[tuple[str, str]] = set()
    restricted = _restricted_subjects(org, claimed)
    for w in claimed:
        if w.kind not in (NotificationKind.CHECK_IN_ESCALATED, NotificationKind.KPI_OVERDUE):
            continue
        if (w.kind, w.subject) in seen:
            continue
        seen.add((w.kind, w.subject))
        event = (
            ChannelEvent.CHECK_IN_MISSED if w.kind == NotificationKind.CHECK_IN_ESCALATED else ChannelEvent.KPI_OVERDUE
        )
        with translation.override(org.language):
            text = _message(w.kind, w.message_args)
        ids += channel_publish_outbox(
            org=org, event=event, text=text, url=w.url, dispatch=dispatch, restricted=w.subject in restricted
        )
    return ids


def _restricted_subjects(org: Organization, claimed: list[Wanted]) -> set[str]:
    """The subjects ("kr:<id>", "kpi:<id>") among ``claimed`` about a team-only or private
    objective or KPI: their escalations go only to channels marked safe for them (DESIGN §3)."""
    ids: dict[str, set[int]] = {"kr": set(), "kpi": set()}
    for w in claimed:
        prefix, _sep, pk = w.subject.partition(":")
        if prefix in ids and pk.isdigit():
            ids[prefix].add(int(pk))
    found: set[str] = set()
    if ids["kr"]:
        krs = KeyResult.objects.filter(organization=org, pk__in=ids["kr"]).exclude(
            objective__visibility=Visibility.ORGANIZATION
        )
        found |= {f"kr:{pk}" for pk in krs.values_list("pk", flat=True)}
    if ids["kpi"]:
        kpis = Kpi.objects.filter(organization=org, pk__in=ids["kpi"]).exclude(visibility=Visibility.ORGANIZATION)
        found |= {f"kpi:{pk}" for pk in kpis.values_list("pk", flat=True)}
    return found


def _json_insert(table: str, columns: dict[str, str], rows: list[dict], *, ignore_conflicts: bool) -> None:
    """Insert any number of rows in one statement: the rows travel as one JSON
    parameter, so the sweep's statement count does not depend on how many
    reminders are due. ``columns`` maps column → SQL type (PostgreSQL cast)."""
    if not rows:
        return
    names = ", ".join(columns)
    if connection.vendor == "postgresql":
        values = ", ".join(f"(r->>'{c}')::{t}" for c, t in columns.items())
        source = "jsonb_array_elements(%s::jsonb) r"
        where = ""
    else:
        values = ", ".join(f"json_extract(value, '$.{c}')" for c in columns)
        source = "json_each(%s)"
        where = " WHERE true"  # SQLite needs it before ON CONFLICT
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    sql = f"INSERT INTO {table} ({names}) SELECT {values} FROM {source}{where}{conflict}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(rows, default=str)])


def _db_now(now: datetime) -> str:
    if connection.vendor == "postgresql":
        return now.isoformat()
    return str(connection.ops.adapt_datetimefield_value(now))


def _insert_claims(org: Organization, run: str, now: datetime, wanted: list[Wanted]) -> None:
    created = _db_now(now)
    _json_insert(
        ReminderClaim._meta.db_table,
        {
            "organization_id": "bigint",
            "kind": "text",
            "subject": "text",
            "period": "date",
            "recipient_id": "bigint",
            "run": "text",
            "created_at": "timestamptz",
        },
        [
            {
                "organization_id": org.pk,
                "kind": str(w.kind),
                "subject": w.subject,
                "period": w.period.isoformat(),
                "recipient_id": w.recipient_id,
                "run": run,
                "created_at": created,
            }
            for w in wanted
        ],
        ignore_conflicts=True,
    )


def _insert_notifications(org: Organization, now: datetime, rows: list[dict]) -> None:
    created = _db_now(now)
    _json_insert(
        Notification._meta.db_table,
        {
            "organization_id": "bigint",
            "recipient_id": "bigint",
            "kind": "text",
            "message": "text",
            "url": "text",
            "mail_due": "text",
            "subject_type": "text",
            "subject_id": "bigint",
            "created_at": "timestamptz",
        },
        [{"organization_id": org.pk, "created_at": created, **r, "kind": str(r["kind"])} for r in rows],
        ignore_conflicts=False,
    )


def sweep(*, now: datetime | None = None, org_slug: str | None = None, dispatch: bool = True) -> SweepResult:
    total = SweepResult()
    orgs = Organization.objects.all()
    if org_slug:
        orgs = orgs.filter(slug=org_slug)
    for org in orgs:
        r = sweep_organization(org=org, now=now, dispatch=dispatch)
        total.sent += r.sent
        total.emails += r.emails
        total.outbox_ids += r.outbox_ids
        for k, v in r.by_kind.items():
            total.by_kind[k] = total.by_kind.get(k, 0) + v
    return total
