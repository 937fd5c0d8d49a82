from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from notifications.outbox import delivery_summary, outbox_deliver_all
from reminders.sweep import sweep


class Command(BaseCommand):
    help = (
        "Run the reminder sweep now (KPI measurements due/overdue, weekly check-ins) and send its e-mails "
        "and posts from this process; prints what really left. Safe to run any time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="Only this organisation (slug).")

    def handle(self, *args: object, **opts: object) -> None:
        result = sweep(org_slug=opts["org"] or None, dispatch=False)  # type: ignore[arg-type]
        outbox_deliver_all(ids=result.outbox_ids)
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(result.by_kind.items())) or "nothing due"
        summary = delivery_summary(result.outbox_ids)
        line = f"Sent {result.sent} reminders ({detail}). {summary.text}"
        self.stdout.write(self.style.SUCCESS(line) if summary.all_sent else self.style.WARNING(line))
