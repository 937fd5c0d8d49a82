from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from objectives import services as okr
from objectives.models import CheckIn, KeyResult, Objective
from orgs.models import User
from tests.factories import MembershipFactory, UserFactory, place
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

# Tuesday 1 December 2026, 09:00 UTC.
CHECKED_IN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class Thread:
    objective: Objective
    kr: KeyResult
    check_in: CheckIn
    sam: User  # a member of the manager's team who owns the key result and checked in


@pytest.fixture
def thread(world_a) -> Thread:
    sam = UserFactory(email="sam@alpha.test", name="Sam Tran")
    MembershipFactory(organization=world_a.org, user=sam, role="member")
    place(world_a.team, sam)
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="Win the south", owner_type="person", user=sam)
    kr = make_kr(objective, title="Sign 10 distributors", owner=sam, target=10)
    make_kr(objective, title="Open 2 warehouses", owner=sam, target=2)
    okr.objective_set_status(objective=objective, actor=world_a.admin, status="active")
    check_in = okr.key_result_check_in(
        key_result=kr, actor=sam, value=3, confidence=7, note="Three signed", at=CHECKED_IN
    )
    return Thread(objective, kr, check_in, sam)
