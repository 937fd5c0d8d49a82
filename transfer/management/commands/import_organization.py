"""Restore an organisation from its export, as the server's operator."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from orgs.models import Membership, Organization, Role
from transfer import services


class Command(BaseCommand):
    help = (
        "Load an organisation export (JSON) into an empty organisation. Unlike the page and the "
        "API, people who already have an account on this server join it too: the operator vouches for them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the empty organisation to load into")
        parser.add_argument("file", type=Path, help="the export's JSON document")
        parser.add_argument("--dry-run", action="store_true", help="check the document and write nothing")

    def handle(self, *args: object, **opts: object) -> None:
        org = Organization.objects.filter(slug=str(opts["slug"])).first()
        if org is None:
            raise CommandError(f"No organisation {opts['slug']!r}.")
        admin = Membership.objects.filter(organization=org, role=Role.ADMIN).select_related("user").first()
        path = Path(str(opts["file"]))
        try:
            run = services.import_run_create(
                org=org,
                actor=admin.user if admin else None,
                kind="organization",
                data=path.read_bytes(),
                filename=path.name,
                options={"allow_existing": True},
                background=False,
            )
            errors = run.dry_run.get("errors") or []
            for e in errors[:50]:
                self.stderr.write(f"  {e['field']} #{e['row']}: {e['message']}")
            if errors:
                raise CommandError(f"{len(errors)} problems: nothing was imported.")
            if opts["dry_run"]:
                self.stdout.write(f"The document is fine: {run.dry_run['create']} objects would be created.")
                return
            run = services.import_run_apply(run=run, actor=admin.user if admin else None, background=False)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Imported {run.result.get('create', 0)} objects into {org.slug}."))
