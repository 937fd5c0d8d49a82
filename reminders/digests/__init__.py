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

from datetime import datetime

from orgs.models import Organization
from reminders.digests.buffered import flush_buffered
from reminders.digests.content import TOP, Mover, OrgWeek, movers, plan_week, team_week, wins, wins_post
from reminders.digests.sending import DIGEST_ORDER, SUBJECTS, DigestResult, Planned, send_digests

__all__ = [
    "DIGEST_ORDER",
    "SUBJECTS",
    "TOP",
    "DigestResult",
    "Mover",
    "OrgWeek",
    "Planned",
    "digest_sweep",
    "flush_buffered",
    "movers",
    "plan_week",
    "send_digests",
    "team_week",
    "wins",
    "wins_post",
]


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
