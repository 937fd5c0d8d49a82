"""``manage.py connect_chat <slug> slack --workspace T0123 --signing-secret … --bot-token xoxb-…``
or ``connect_chat <slug> teams --workspace <tenant id>``: connect a Slack workspace or a
Microsoft Teams tenant to an organisation (the secrets are stored encrypted)."""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.services.links import installation_save
from orgs.models import Organization


class Command(BaseCommand):
    help = "Connect a Slack workspace or a Microsoft Teams tenant to an organisation for chat check-ins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("platform", choices=["slack", "teams"])
        parser.add_argument("--workspace", required=True, help="Slack team id (T…) or Teams tenant id")
        parser.add_argument("--signing-secret", default="", help="Slack: or set SLACK_SIGNING_SECRET")
        parser.add_argument("--bot-token", default="", help="Slack: or set SLACK_BOT_TOKEN")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["slug"]).first()
        if org is None:
            raise CommandError(f"No organisation {options['slug']!r}.")
        try:
            row = installation_save(
                org=org,
                actor=None,
                platform=options["platform"],
                external_id=options["workspace"],
                signing_secret=options["signing_secret"] or os.environ.get("SLACK_SIGNING_SECRET", ""),
                bot_token=options["bot_token"] or os.environ.get("SLACK_BOT_TOKEN", ""),
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Connected {row} to {org.slug}.")
