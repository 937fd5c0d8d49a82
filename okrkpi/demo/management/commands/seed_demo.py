from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import QuerySet
from django.test.utils import override_settings

from cycles.models import Cycle
from datasources.demo import seed_sources
from kpis.demo import seed_kpis
from kpis.models import Kpi
from objectives.demo import seed_okrs
from objectives.models import Objective
from orgs.demo import ADMIN_EMAIL, DEMO_ORGS, DEMO_PASSWORD, seed_org
from orgs.models import Organization, Team
from scorecards.demo import seed_scorecard
from scorecards.models import Scorecard


def demo_address() -> str:
    """Where `make run` serves the app: its HOST and PORT (the Procfile's defaults otherwise)."""
    host = os.environ.get("HOST") or "127.0.0.1"
    port = os.environ.get("PORT") or "8000"
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - naming, not binding
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def delete_organizations(orgs: QuerySet[Organization]) -> None:
    """Delete organisations with everything in them. Teams, cycles, objectives and KPIs are
    protected while something still points at them (an objective keeps its team and cycle,
    a scorecard its team, a sub-team its parent), so the rows that point go first, in
    dependency order; the rest (key results, check-ins, measurements, the activity log…)
    cascade with the organisation."""
    for model in (Scorecard, Objective, Kpi, Cycle):
        model.objects.filter(organization__in=orgs).delete()
    Team.objects.filter(organization__in=orgs).update(parent=None)
    orgs.delete()


class Command(BaseCommand):
    help = "Load the demo organisations (English and Vietnamese). Safe to run again: existing ones are kept."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="Delete the demo organisations first.")

    def handle(self, *args: object, **opts: object) -> None:
        with transaction.atomic():
            if opts["reset"]:
                delete_organizations(Organization.objects.filter(slug__in=[o.slug for o in DEMO_ORGS]))
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
        """OKRs, KPIs and the company scorecard, for organisations created here."""
        if not fresh:
            return
        # Thousands of demo check-ins: compute their rollups here rather than queueing each.
        with override_settings(ROLLUP_INLINE=True):
            seed_okrs(org)
            seed_kpis(org)
            seed_sources(org, base_url=demo_address())
            seed_scorecard(org)
