from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.ids import parse_id
from orgs import services
from orgs.management.commands.create_org import validation_message
from orgs.models import Organization, Role, Team


class Command(BaseCommand):
    help = "Add a person to an organisation: add_member <slug> <email> --role R [--name N] [--password P] [--team T]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("email")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="")
        parser.add_argument("--password", help="Password for a new user; without it they use password reset.")
        parser.add_argument("--team", help="Team name (or id) to place them in; it becomes their primary team.")

    def handle(self, *args: object, **opts: object) -> None:
        org = Organization.objects.filter(slug=opts["slug"]).first()
        if org is None:
            raise CommandError(f"No organisation with slug {opts['slug']!r}.")
        teams: list[Team] = []
        if opts["team"]:
            name = str(opts["team"])
            qs = Team.objects.filter(organization=org)
            team = (qs.filter(pk=parse_id(name)).first() if parse_id(name) else None) or qs.filter(
                name__iexact=name
            ).first()
            if team is None:
                raise CommandError(f"No team {name!r} in {org.slug}.")
            teams = [team]
        try:
            services.member_add(
                org=org,
                actor=None,
                email=str(opts["email"]),
                role=str(opts["role"]),
                name=str(opts["name"]),
                password=opts["password"] or None,
                teams=teams,
                existing_account_ok=True,  # an operator's tool: may enrol an existing account
            )
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Added {opts['email']} to {org.slug} as {opts['role']}."))
