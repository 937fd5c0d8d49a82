from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.test.utils import override_settings

from kpis.demo import seed_kpis
from objectives.demo import seed_okrs
from orgs.demo import ADMIN_EMAIL, DEMO_ORGS, DEMO_PASSWORD, seed_org
from orgs.models import Organization


def demo_address() -> str:
    """Where `make run` serves the app: its HOST and PORT (the Procfile's defaults otherwise)."""
    host = os.environ.get("HOST") or "127.0.0.1"
    port = os.environ.get("PORT") or "8000"
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - naming, not binding
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


class Command(BaseCommand):
    help = "Load the demo organisations (English and Vietnamese). Safe to run again: existing ones are kept."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="Delete the demo organisations first.")

    def handle(self, *args: object, **opts: object) -> None:
        with transaction.atomic():
            if opts["reset"]:
                Organization.objects.filter(slug__in=[o.slug for o in DEMO_ORGS]).delete()
            created = []
            for spec in DEMO_ORGS:
                existed = Organization.objects.filter(slug=spec.slug).exists()
                org = seed_org(spec)
                self._extend(org, fresh=not existed)
                if not existed:
                    created.append(org.slug)
        msg = f"Demo data ready ({'created ' + ', '.join(created) if created else 'already there'})."
        self.stdout.write(self.style.SUCCESS(msg))
        self.stdout.write(
            f"\n  Open   {demo_address()}\n"
            f"  Log in {ADMIN_EMAIL} / {DEMO_PASSWORD}   (admin of both demo organisations)\n"
            f"  Others maria@demo.okrkpi.test (manager), sam@demo.okrkpi.test (member) — same password\n"
        )

    def _extend(self, org: Organization, *, fresh: bool) -> None:
        """OKR (and later KPI) demo content, for organisations created here."""
        if not fresh:
            return
        # Thousands of demo check-ins: compute their rollups here rather than queueing each.
        with override_settings(ROLLUP_INLINE=True):
            seed_okrs(org)
            seed_kpis(org)
