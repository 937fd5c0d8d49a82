from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notifications.models import OutboxKind, OutboxStatus
from notifications.outbox import delivery_summary, outbox_deliver_all
from orgs.models import Organization
from reminders.digests import DIGEST_ORDER, digest_sweep, send_digests


class Command(BaseCommand):
    help = (
        "Run the digest sweep now, as the 15-minute beat job does: what is due at this hour (Monday "
        "plan_week and team_week, Friday wins by e-mail and to the chat channels carrying them, notification "
        "digests, mail held by quiet hours). "
        "--kind sends those weekly e-mails now whatever the day. Each person gets each one once per "
        "week, however often this runs. The e-mails and posts leave from this process, and the summary says "
        "what really left (what could not is retried by the worker's outbox sweep)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="Only this organisation (slug).")
        parser.add_argument(
            "--kind",
            action="append",
            choices=[str(k) for k in DIGEST_ORDER],
            help="Send this weekly e-mail now (repeat for several): plan_week, team_week or wins.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Print who would get what; send and claim nothing.")

    def handle(self, *args: object, **opts: object) -> None:
        slug = opts["org"] or None
        orgs = Organization.objects.order_by("slug")
        if slug:
            orgs = orgs.filter(slug=slug)
            if not orgs.exists():
                raise CommandError(f"No organisation with the slug {slug!r}.")
        kinds: list[str] | None = opts["kind"]  # type: ignore[assignment]
        dry_run = bool(opts["dry_run"])
        if not kinds and not dry_run:
            result = digest_sweep(org_slug=slug, dispatch=False)  # type: ignore[arg-type]
            self._deliver(result.outbox_ids)
            return
        ids: list[int] = []
        for org in orgs:
            result = send_digests(org=org, kinds=kinds, dry_run=dry_run, dispatch=False)
            ids += result.outbox_ids
            for p in result.planned:
                medium = "post" if p.channel else "mail"
                what = f"nothing to say, no {medium}" if p.empty else f"{medium} in {p.language}"
                verb = "would get" if dry_run else "gets"
                self.stdout.write(f"{org.slug}: {p.to} {verb} {p.kind} ({what})")
        if dry_run:
            self.stdout.write(self.style.SUCCESS("Dry run: nothing was sent or claimed."))
        else:
            self._deliver(ids)

    def _deliver(self, ids: list[int]) -> None:
        """Send the rows this run wrote, then say what really left (counted from the rows)."""
        outbox_deliver_all(ids=ids)
        summary = delivery_summary(ids)
        sent = summary.by_topic(OutboxStatus.SENT, OutboxKind.EMAIL)
        posted = summary.total(OutboxStatus.SENT, OutboxKind.CHANNEL)
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(sent.items()))
        if not detail and not ids:
            detail = "nothing due"
        message = f"Sent {sum(sent.values())} e-mails" + (f" ({detail})." if detail else ".")
        if posted:
            message += f" Posted {posted} to chat and webhook channels."
        if not summary.all_sent:
            self.stdout.write(self.style.WARNING(f"{message} {summary.problems}"))
            return
        self.stdout.write(self.style.SUCCESS(message))
