from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from objectives import reconcile
from objectives.rollup import CycleInTreeError
from orgs.models import Organization


class Command(BaseCommand):
    help = "Full reconcile of stored progress (all organisations, or one with --org). Reports the drift repaired."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="Slug of one organisation.")

    def handle(self, *args: object, **opts: object) -> None:
        orgs = Organization.objects.order_by("slug")
        if opts["org"]:
            orgs = orgs.filter(slug=opts["org"])
            if not orgs.exists():
                raise CommandError(f"No organisation with slug {opts['org']!r}.")
        total = repaired = 0
        seconds = 0.0
        for org in orgs:
            try:
                result = reconcile.reconcile_dirty(org=org)
            except CycleInTreeError as exc:
                self.stderr.write(f"{org.slug}: {exc}")
                continue
            total += result.objectives
            repaired += result.repaired
            seconds += result.seconds
            self.stdout.write(
                f"{org.slug}: {result.objectives} objectives, {result.repaired} repaired, "
                f"{result.skipped} changed by a rollup meanwhile (left as they are), "
                f"{result.seconds * 1000:.1f} ms"
            )
        self.stdout.write(self.style.SUCCESS(f"Reconciled {total} objectives; repaired {repaired} ({seconds:.2f} s)."))
