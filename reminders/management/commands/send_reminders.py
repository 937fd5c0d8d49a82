from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from reminders.sweep import sweep


class Command(BaseCommand):
    help = "Run the reminder sweep now (KPI measurements due/overdue, weekly check-ins). Safe to run any time."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="Only this organisation (slug).")

    def handle(self, *args: object, **opts: object) -> None:
        result = sweep(org_slug=opts["org"] or None)  # type: ignore[arg-type]
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(result.by_kind.items())) or "nothing due"
        self.stdout.write(self.style.SUCCESS(f"Sent {result.sent} reminders ({detail})."))
