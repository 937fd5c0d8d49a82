from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from orgs import services


def validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


class Command(BaseCommand):
    help = "Create an organisation and its first admin: create_org <slug> --name N --admin-email E --admin-password P"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="URL name of the organisation, e.g. acme (used in /o/acme/).")
        parser.add_argument("--name", required=True, help="Display name, e.g. 'Acme Ltd'.")
        parser.add_argument("--admin-email", required=True, help="E-mail of the first admin (new or existing user).")
        parser.add_argument("--admin-password", help="Password for a new admin user.")
        parser.add_argument("--admin-name", default="", help="Display name of a new admin user.")
        parser.add_argument("--timezone", default="UTC", help="IANA time zone, e.g. Asia/Ho_Chi_Minh.")
        parser.add_argument("--language", default="en", choices=["en", "vi"], help="Default language.")

    def handle(self, *args: object, **opts: object) -> None:
        try:
            org = services.organization_create(
                slug=str(opts["slug"]),
                name=str(opts["name"]),
                admin_email=str(opts["admin_email"]),
                admin_password=opts["admin_password"] or None,
                admin_name=str(opts["admin_name"]),
                timezone_name=str(opts["timezone"]),
                language=str(opts["language"]),
            )
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created organisation {org.slug!r} ({org.name}) with admin {opts['admin_email']}. Open /o/{org.slug}/"
            )
        )
