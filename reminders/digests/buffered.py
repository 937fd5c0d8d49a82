"""Buffered notifications and quiet hours: the daily and weekly digests of ordinary
notifications, and the e-mails held back until quiet hours end."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.mailer import Mail, absolute, language_of
from notifications.models import (
    MailDue,
    Notification,
    NotificationKind,
    NotificationSettings,
    ReminderClaim,
    is_quiet,
)
from notifications.outbox import email_row, outbox_add
from orgs.models import Organization, User
from reminders.digests.content import MONDAY
from reminders.digests.sending import DigestResult
from reminders.seen import still_seen
from reminders.sweep import Wanted, _insert_claims, local_now


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
            for n in still_seen(org=org, rows=rows):  # not those about what they may no longer see
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
