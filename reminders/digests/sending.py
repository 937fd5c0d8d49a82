"""Sending the weekly e-mails: who is due which, claimed once per person, kind and week,
and written to the outbox with the claim."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications import channels
from notifications.mailer import Mail, absolute, language_of, unsubscribe_headers, unsubscribe_url
from notifications.models import (
    ChannelEvent,
    Delivery,
    NotificationKind,
    NotificationSettings,
    OutboxMessage,
    ReminderClaim,
    delivery_for,
    is_quiet,
)
from notifications.outbox import email_row, outbox_add
from orgs import permissions
from orgs.models import Membership, Organization, Role, User
from reminders.digests.content import FRIDAY, MONDAY, OrgWeek, plan_week, team_week, wins, wins_post
from reminders.digests.restricted import for_reader, open_wins
from reminders.sweep import People, Wanted, _insert_claims, local_now, people_of

DIGEST_ORDER = (NotificationKind.PLAN_WEEK, NotificationKind.TEAM_WEEK, NotificationKind.WINS)
SUBJECTS: dict[str, Callable[[], str]] = {
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
        with transaction.atomic():
            mine = _claim(org, kind, eligible, monday, now, dry_run=dry_run)
            mails: list[OutboxMessage] = []
            for m in eligible:
                if m.user_id in mine:
                    mail = _compose(kind, org, m, week, shared_wins, result, dry_run=dry_run)
                    mails += [mail] if mail is not None else []
            if not dry_run:
                result.outbox_ids += outbox_add(mails, dispatch=dispatch)
        result.add(kind, len(mails))
    return result


def _claim(
    org: Organization, kind: str, eligible: list[Membership], monday: date, now: datetime, *, dry_run: bool
) -> set[int]:
    """The recipients this run claimed the week's ``kind`` for (with ``dry_run``: those it
    would claim, claiming nothing)."""
    if dry_run:
        taken = set(
            ReminderClaim.objects.filter(organization=org, kind=kind, subject="digest", period=monday).values_list(
                "recipient_id", flat=True
            )
        )
        return {m.user_id for m in eligible} - taken
    run = str(uuid.uuid4())
    _insert_claims(org, run, now, [Wanted(kind, "digest", monday, m.user_id, {}, "") for m in eligible])
    return set(ReminderClaim.objects.filter(organization=org, run=run).values_list("recipient_id", flat=True))


def _compose(
    kind: str,
    org: Organization,
    m: Membership,
    week: OrgWeek,
    shared_wins: dict[str, Any] | None,
    result: DigestResult,
    *,
    dry_run: bool,
) -> OutboxMessage | None:
    """One claimed recipient's e-mail as an outbox row, in their language (item titles too,
    not only the templates), noted in ``result.planned``; None when it would say nothing
    or with ``dry_run``."""
    language = language_of(m.user, org)
    with translation.override(language):
        if kind == NotificationKind.PLAN_WEEK:
            context = plan_week(week=week, user=m.user)
        elif kind == NotificationKind.TEAM_WEEK:
            context = team_week(week=week, membership=m)
        else:
            context = shared_wins or {}
        if week.restricted:
            context = for_reader(kind, context, m)
        empty = bool(context.get("empty"))
        result.planned.append(Planned(kind, m.user.email, language, empty))
        if empty or dry_run:
            return None
        mail = _render(kind, org, m.user, context)
        return email_row(org=org, user=m.user, mail=mail, topic=kind)


def _wins_to_channels(
    org: Organization, context: dict[str, Any], week: date, result: DigestResult, *, dry_run: bool, dispatch: bool
) -> None:
    """Post the wins to each channel carrying them, once per channel and week, in the
    organisation's language. A channel an admin marked ``restricted_safe`` gets every win,
    restricted objectives and key results included; the others only those open to the whole
    organisation (``open_wins``). When the two are the same, one post goes to all."""
    open_context = open_wins(context)
    if _same_wins(open_context, context):
        _post_wins(org, context, week, result, safe=None, dry_run=dry_run, dispatch=dispatch)
        return
    _post_wins(org, context, week, result, safe=True, dry_run=dry_run, dispatch=dispatch)
    _post_wins(org, open_context, week, result, safe=False, dry_run=dry_run, dispatch=dispatch)


def _same_wins(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return [m.key_result.pk for m in a["movers"]] == [m.key_result.pk for m in b["movers"]] and [
        o.pk for o in a["completed"]
    ] == [o.pk for o in b["completed"]]


def _post_wins(
    org: Organization,
    context: dict[str, Any],
    week: date,
    result: DigestResult,
    *,
    safe: bool | None,
    dry_run: bool,
    dispatch: bool,
) -> None:
    """Post ``context`` to the channels carrying the wins (``safe``: only those whose
    ``restricted_safe`` is that; None: all). Nothing to say posts and claims nothing, so a
    win checked in later that Friday is still posted by a later sweep."""
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
        restricted_safe=safe,
    )
    for channel in claimed:
        result.planned.append(Planned(NotificationKind.WINS, f"channel {channel.name}", org.language, empty, True))
    if not (dry_run or empty):
        result.add_posts(NotificationKind.WINS, len(claimed))
