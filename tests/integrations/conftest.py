"""A person with three key results to check in on: a number (0 → 100), a number
(0 → 10) and a milestone, in an active objective of the running cycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from objectives.models import KeyResult
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


@dataclass
class Desk:
    world: object
    krs: list[KeyResult]


@pytest.fixture
def desk(world_a, pin_now, settings) -> Desk:
    settings.INBOUND_EMAIL_DOMAIN = "reply.okrkpi.test"
    settings.INBOUND_EMAIL_SECRET = ""
    pin_now(datetime(2026, 11, 2, 9, tzinfo=UTC))
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="Win the market", status="active")
    krs = [
        make_kr(objective, title="Leads", owner=world_a.member, start=0, target=100),
        make_kr(objective, title="Deals", owner=world_a.member, start=0, target=10),
        make_kr(objective, title="Launch", owner=world_a.member, start=0, target=1, kind="milestone"),
    ]
    return Desk(world_a, krs)
