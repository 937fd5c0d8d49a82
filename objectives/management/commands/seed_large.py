"""A big synthetic dataset for benchmarks: many organisations, deep trees, bulk inserts."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from cycles.models import Cycle, CycleStatus
from objectives import reconcile
from objectives.models import KeyResult, Objective, ObjectiveStatus
from orgs.models import Membership, Organization, Role, Team, TeamMember, User

PREFIX = "large-"


class Command(BaseCommand):
    help = (
        "Create large synthetic organisations (default: 20 × 1,000 objectives × 5 key results, trees 12 "
        "levels deep) with bulk inserts, then reconcile them. Slugs start with 'large-'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orgs", type=int, default=20)
        parser.add_argument("--objectives", type=int, default=1000, help="per organisation")
        parser.add_argument("--krs", type=int, default=5, help="key results per objective")
        parser.add_argument("--depth", type=int, default=12, help="levels below the company objectives")
        parser.add_argument("--people", type=int, default=25, help="members per organisation")
        parser.add_argument("--reset", action="store_true", help="delete earlier large-* organisations first")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: object, **opts: int) -> None:
        started = time.perf_counter()
        rng = random.Random(opts["seed"])  # noqa: S311 — synthetic data
        if opts["reset"]:
            self._reset()
        existing = Organization.objects.filter(slug__startswith=PREFIX).count()
        password = make_password(None)  # unusable: these accounts never log in
        for n in range(existing, existing + opts["orgs"]):
            with transaction.atomic():
                self._org(n, rng, password, opts)
            self.stdout.write(f"  {PREFIX}{n:03d} done ({time.perf_counter() - started:.1f} s)")
        totals = (
            Organization.objects.filter(slug__startswith=PREFIX).count(),
            Objective.objects.filter(organization__slug__startswith=PREFIX).count(),
            KeyResult.objects.filter(organization__slug__startswith=PREFIX).count(),
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Large data: {totals[0]} organisations, {totals[1]} objectives, {totals[2]} key results "
                f"in {time.perf_counter() - started:.1f} s."
            )
        )

    def _reset(self) -> None:
        orgs = Organization.objects.filter(slug__startswith=PREFIX)
        KeyResult.objects.filter(organization__in=orgs).delete()
        Objective.objects.filter(organization__in=orgs).update(parent=None)
        Objective.objects.filter(organization__in=orgs).delete()
        Cycle.objects.filter(organization__in=orgs).delete()
        TeamMember.objects.filter(organization__in=orgs).delete()
        Membership.objects.filter(organization__in=orgs).delete()
        Team.objects.filter(organization__in=orgs).update(parent=None)
        Team.objects.filter(organization__in=orgs).delete()
        User.objects.filter(email__endswith="@large.okrkpi.test").delete()
        orgs.delete()

    def _org(self, n: int, rng: random.Random, password: str, opts: dict) -> None:
        org = Organization.objects.create(name=f"Large {n:03d}", slug=f"{PREFIX}{n:03d}")
        users, teams = self._people(org, n, password, opts["people"])
        start = date.today().replace(day=1)  # noqa: DTZ011 — synthetic data
        cycle = Cycle.objects.create(
            organization=org,
            name="Large quarter",
            start_date=start,
            end_date=start + timedelta(days=90),
            status=CycleStatus.ACTIVE,
        )
        total, depth = opts["objectives"], opts["depth"]
        per_level = max(1, total // (depth + 1))
        previous: list[Objective] = []
        made = 0
        for level in range(depth + 1):
            count = per_level if level < depth else total - made
            if count <= 0:
                break
            previous = self._level(org, cycle, level, count, previous, users, teams, rng)
            made += count
            self._key_results(org, previous, users, rng, opts["krs"])
        reconcile.reconcile_organization(org=org)

    def _people(self, org: Organization, n: int, password: str, people: int) -> tuple[list[User], list[Team]]:
        """The members (the first an admin) and five teams, each member in one."""
        users = User.objects.bulk_create(
            [User(email=f"p{i}.o{n}@large.okrkpi.test", name=f"Person {i}", password=password) for i in range(people)]
        )
        Membership.objects.bulk_create(
            [
                Membership(organization=org, user=u, role=Role.ADMIN if i == 0 else Role.MEMBER)
                for i, u in enumerate(users)
            ]
        )
        teams = Team.objects.bulk_create([Team(organization=org, name=f"Team {i}") for i in range(5)])
        TeamMember.objects.bulk_create(
            [
                TeamMember(organization=org, team=teams[i % len(teams)], user=u, is_manager=i < len(teams))
                for i, u in enumerate(users)
            ]
        )
        return users, teams

    def _level(
        self,
        org: Organization,
        cycle: Cycle,
        level: int,
        count: int,
        previous: list[Objective],
        users: list[User],
        teams: list[Team],
        rng: random.Random,
    ) -> list[Objective]:
        """One level of the trees: ``count`` objectives, each under one of the level above."""
        batch = []
        for i in range(count):
            kind = "company" if level == 0 else ("team" if level < 4 else "person")
            batch.append(
                Objective(
                    organization=org,
                    cycle=cycle,
                    title=f"Objective {level}.{i}",
                    owner_type=kind,
                    owner_team=teams[i % len(teams)] if kind == "team" else None,
                    owner_user=users[i % len(users)] if kind == "person" else None,
                    parent=rng.choice(previous) if previous else None,
                    weight=rng.choice([1.0, 1.0, 2.0, 0.5]),
                    status=ObjectiveStatus.ACTIVE,
                )
            )
        return Objective.objects.bulk_create(batch, batch_size=2000)

    def _key_results(
        self, org: Organization, objectives: list[Objective], users: list[User], rng: random.Random, per: int
    ) -> None:
        krs = []
        for o in objectives:
            for k in range(per):
                target = rng.choice([10.0, 100.0, 1000.0])
                current = round(rng.uniform(-0.1, 1.2) * target, 2)
                krs.append(
                    KeyResult(
                        organization=org,
                        objective=o,
                        title=f"KR {k}",
                        owner=users[k % len(users)],
                        start_value=0.0,
                        target_value=target,
                        current_value=current,
                        progress=min(1.0, max(0.0, current / target)),
                        weight=rng.choice([1.0, 1.0, 2.0]),
                        confidence=rng.randint(1, 10),
                        position=k,
                    )
                )
        KeyResult.objects.bulk_create(krs, batch_size=5000)
