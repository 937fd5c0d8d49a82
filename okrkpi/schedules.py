"""Every periodic job, in one place. Exactly one beat scheduler runs
(see README "Deploy"); each entry says when it runs and why."""

from __future__ import annotations

from celery.schedules import crontab
from django.conf import settings

BEAT_SCHEDULE: dict[str, dict] = {
    # Every minute, one per queue: proves beat and a worker on each queue are alive
    # (/healthz shows the heartbeat's age and names a queue no worker consumes), and is
    # cheap. One that waited a minute is dropped unrun: the next one tells the same.
    **{
        f"heartbeat-{queue}": {
            "task": "core.tasks.heartbeat",
            "schedule": 60.0,
            "args": [queue],
            "options": {"queue": queue, "expires": 55},
        }
        for queue in settings.CELERY_QUEUE_NAMES
    },
    # Every minute: organisations whose rollups could not be queued (broker
    # down) are reconciled as soon as a worker runs again.
    "repair-dirty-rollups": {"task": "objectives.repair_dirty", "schedule": 60.0},
    # Hourly: the full set-based reconcile of every organisation repairs
    # anything a lost task left stale (it writes only changed rows).
    "reconcile-all": {"task": "objectives.reconcile_all", "schedule": crontab(minute=17)},
    # Daily, just after midnight UTC: progress snapshots for trend charts and
    # "as of" views (idempotent per day, so a re-run does no harm).
    # Every 15 minutes: KPI measurement reminders at each organisation's local
    # reminder hour, escalations past the grace period, Monday check-in
    # reminders. Claims make overlapping or retried sweeps send nothing twice.
    "send-reminders": {"task": "notifications.send_reminders", "schedule": crontab(minute="*/15")},
    # Daily: expired e-mail reply addresses and chat link requests, and inbound deliveries
    # older than any platform's retries (their rows only guard against a retry saving twice).
    "prune-integrations": {"task": "integrations.prune", "schedule": crontab(hour=3, minute=41)},
    # Every two minutes, when IMAP_HOST is set: check-ins replied to the reminder e-mail, read
    # from the mailbox (the fallback for an inbound-mail webhook); the Message-ID keeps a
    # message polled twice from saving twice.
    **(
        {
            "poll-inbound-mail": {
                "task": "integrations.poll_inbound_mail",
                "schedule": 120.0,
                "options": {"expires": 110},
            }
        }
        if settings.IMAP_HOST
        else {}
    ),
    # Every 15 minutes: e-mails held by quiet hours once they end; daily and weekly
    # digests of notifications; Monday "plan the week" and "your teams' week" and
    # Friday "wins", each at the organisation's local reminder hour. Claimed per
    # person and period, so overlapping or retried runs send nothing twice.
    "send-digests": {"task": "reminders.send_digests", "schedule": crontab(minute="7,22,37,52")},
    # Every minute: e-mails and channel posts of the outbox that are due again (after a
    # failure's backoff, a publish the broker refused, or a worker killed mid-send);
    # leased per batch, so overlapping runs never send one message twice.
    "outbox-sweep": {"task": "notifications.outbox_sweep", "schedule": 60.0},
    # Hourly: KPIs fed by a data source whose period has ended in their organisation's time
    # zone get one pull of it, on the "pulls" queue (a slow customer database never delays
    # rollups); the claim row makes overlapping sweeps and retried pulls record once.
    "pull-data-sources": {"task": "datasources.pull_sweep", "schedule": crontab(minute=23)},
    "snapshot-progress": {"task": "objectives.snapshot_all", "schedule": crontab(hour=0, minute=5)},
    # Hourly: idempotency keys and spent form tokens past their 24 hours are deleted (a
    # request deletes only its own sender's). On the default "celery" queue, beside the
    # heartbeat: small, and never in front of rollups or reminders.
    "prune-idempotency-keys": {
        "task": "core.tasks.prune_idempotency_keys",
        "schedule": crontab(minute=41),
        "options": {"queue": "celery"},
    },
}
