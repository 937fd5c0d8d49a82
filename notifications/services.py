"""Writes of the notifications floor. Any app may call ``notification_send``:
it respects the recipient's delivery choice for that kind (instantly, daily
or weekly digest, off) and their quiet hours."""

from __future__ import annotations

from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.mailer import Mail, absolute, language_of, unsubscribe_headers, unsubscribe_url
from notifications.models import (
    CHOOSABLE_KINDS,
    DIGEST_KINDS,
    Delivery,
    MailDue,
    Notification,
    NotificationSettings,
    delivery_for,
    is_quiet,
)
from notifications.outbox import email_row, outbox_add
from notifications.subjects import may_see, split_subject
from orgs.models import Membership, Organization, User


@transaction.atomic
def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, org: Organization, user: User) -> int:
    return Notification.objects.filter(organization=org, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def settings_for(*, org: Organization, user_ids: set[int] | list[int]) -> dict[int, NotificationSettings]:
    """Everyone's settings row, in one query; people without a row are absent (defaults apply)."""
    return {s.user_id: s for s in NotificationSettings.objects.filter(organization=org, user_id__in=list(user_ids))}


def plan_mail(*, settings_row: NotificationSettings | None, kind: str, local_time: time) -> str | None:
    """How a notification of ``kind`` reaches a person now: None = not at all,
    "" = e-mail now, or a ``MailDue`` value (held by quiet hours, or buffered)."""
    deliveries = settings_row.deliveries if settings_row else {}
    mode = delivery_for(deliveries, kind)
    if mode == Delivery.OFF:
        return None
    if mode == Delivery.DAILY:
        return MailDue.DAILY
    if mode == Delivery.WEEKLY:
        return MailDue.WEEKLY
    if settings_row is not None and is_quiet(settings_row.quiet_start, settings_row.quiet_end, local_time):
        return MailDue.HELD
    return ""


def notification_mail(*, org: Organization, user: User, kind: str, message: str, url: str) -> Mail:
    with translation.override(language_of(user, org)):
        unsubscribe = unsubscribe_url(org_id=org.pk, user_id=user.pk, kind=kind)
        subject = _("[%(org)s] %(message)s") % {"org": org.name, "message": message}
        text = _("%(message)s\n\nOpen: %(url)s\n\nStop these e-mails: %(unsubscribe)s") % {
            "message": message,
            "url": absolute(url) if url else absolute("/"),
            "unsubscribe": unsubscribe,
        }
    return Mail(to=user.email, subject=subject, text=text, headers=unsubscribe_headers(unsubscribe))


@transaction.atomic
def notification_send(
    *,
    org: Organization,
    recipient: User,
    kind: str,
    message: str,
    url: str = "",
    subject: str = "",
    now: datetime | None = None,
) -> Notification | None:
    """Tell one person something, as they chose: the in-app notification (unless
    the kind is off) and an e-mail now, after quiet hours, or in their digest.
    ``subject`` ("objective:12", "kr:5", "kpi:3") names what it is about: nothing is sent
    to a recipient who may not see that, and the notification shows only while they may
    (``notifications.subjects``).
    The e-mail is an outbox row of this transaction: it leaves after the commit, is
    retried while the mail server is down, and never fails the caller.
    Returns the notification, or None when off or about what the recipient may not see."""
    now = now or timezone.now()
    row = NotificationSettings.objects.filter(organization=org, user=recipient).first()
    due = plan_mail(settings_row=row, kind=kind, local_time=now.astimezone(org.tzinfo).time())
    if due is None:
        return None
    subject_type, subject_id = split_subject(subject)
    if subject_type and not _recipient_sees(org, recipient, subject_type, subject_id):
        return None  # neither in the list nor by e-mail: the subject is hidden from them
    notification = Notification.objects.create(
        organization=org,
        recipient=recipient,
        kind=kind,
        message=message[:500],
        url=url[:300],
        mail_due=due,
        subject_type=subject_type,
        subject_id=subject_id,
    )
    if due == "":
        mail = notification_mail(org=org, user=recipient, kind=kind, message=message, url=url)
        outbox_add([email_row(org=org, user=recipient, mail=mail, topic=kind)])
    return notification


def _recipient_sees(org: Organization, recipient: User, subject_type: str, subject_id: int | None) -> bool:
    """Whether ``recipient``, a member of ``org``, may see the subject (two queries); fails closed."""
    m = Membership.objects.filter(organization=org, user=recipient).first()
    if m is None:
        return False
    m.organization = org
    return may_see(m, subject_type, subject_id)


@transaction.atomic
def notification_settings_update(
    *,
    org: Organization,
    user: User,
    deliveries: dict[str, str],
    quiet_start: time | None,
    quiet_end: time | None,
) -> NotificationSettings:
    """Save a person's choices. Unknown kinds or deliveries are refused, and the
    weekly e-mails (plan the week, team week, wins) are either weekly or off."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    known = {str(k) for k in CHOOSABLE_KINDS}
    for kind, mode in deliveries.items():
        if kind not in known:
            errors.setdefault("deliveries", []).append(_("%(kind)s is not a kind of notification.") % {"kind": kind})
            continue
        allowed = {Delivery.WEEKLY, Delivery.OFF} if kind in DIGEST_KINDS else set(Delivery.values)
        if mode not in allowed:
            errors.setdefault("deliveries", []).append(
                _("%(mode)s is not a delivery for %(kind)s.") % {"mode": mode, "kind": kind}
            )
            continue
        clean[kind] = mode
    if (quiet_start is None) != (quiet_end is None):
        errors.setdefault("quiet_end", []).append(_("Give both ends of the quiet hours, or neither."))
    elif quiet_start is not None and quiet_start == quiet_end:
        errors.setdefault("quiet_end", []).append(_("Quiet hours must end at another time than they start."))
    if errors:
        raise ValidationError(errors)
    row, _created = NotificationSettings.objects.select_for_update().get_or_create(organization=org, user=user)
    row.deliveries = {**row.deliveries, **clean}
    row.quiet_start, row.quiet_end = quiet_start, quiet_end
    row.save(update_fields=["deliveries", "quiet_start", "quiet_end", "updated_at"])
    return row


@transaction.atomic
def notification_unsubscribe(*, org: Organization, user_id: int, kind: str) -> NotificationSettings:
    """Turn one kind off (the unsubscribe link of an e-mail)."""
    row, _created = NotificationSettings.objects.select_for_update().get_or_create(organization=org, user_id=user_id)
    row.deliveries = {**row.deliveries, str(kind): Delivery.OFF}
    row.save(update_fields=["deliveries", "updated_at"])
    return row
