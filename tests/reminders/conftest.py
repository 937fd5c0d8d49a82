"""Fixtures of this folder: the check-in thread and the local webhook server of the
notification tests (one definition), and a small organisation's week with hand-computed movers."""

from datetime import UTC, datetime

import pytest

from objectives import services as okr
from tests.notifications.conftest import Thread, hook, private_ok, thread  # noqa: F401, F811 — fixtures for this folder
from tests.objectives.okr_factories import make_kr, make_objective


def at(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def week(world_a, thread):  # noqa: F811 — the imported fixture
    """A small organisation's week, with movers computed by hand:

    - "Open 2 warehouses" 0 → 2 of 2 (no earlier check-in: from its start value): +100 %
    - "Ship v2 / Beta users" 0 → 50 of 50: +100 %;  "Ship v2 / Crash-free" 90 → 99 of 99, from 90: +100 %
    - "Sign 10 distributors" 2 (20 Nov) → 7 (3 Dec): 20 % → 70 %, +50 % (the fixture's 3 on 1 Dec is inside the week)
    - "Churn" 10 → 8 while its target is 5 (a decrease, from a start of 10), checked in 25 Nov only: not a mover.
    """
    okr.key_result_check_in(key_result=thread.kr, actor=thread.sam, value=2, confidence=6, at=at(2026, 11, 20, 9))
    okr.key_result_check_in(key_result=thread.kr, actor=thread.sam, value=7, confidence=8, at=at(2026, 12, 3, 9))
    warehouses = thread.objective.key_results.get(title="Open 2 warehouses")
    okr.key_result_check_in(key_result=warehouses, actor=thread.sam, value=2, confidence=9, at=at(2026, 12, 2, 9))
    ship = make_objective(
        world_a.org, thread.objective.cycle, title="Ship v2", owner_type="person", user=world_a.member
    )
    beta = make_kr(ship, title="Beta users", owner=world_a.member, target=50)
    crash = make_kr(ship, title="Crash-free", owner=world_a.member, start=90, target=99)
    okr.objective_set_status(objective=ship, actor=world_a.admin, status="active")
    okr.key_result_check_in(key_result=beta, actor=world_a.member, value=50, confidence=10, at=at(2026, 12, 1, 12))
    okr.key_result_check_in(key_result=crash, actor=world_a.member, value=99, confidence=10, at=at(2026, 12, 2, 12))
    churn = make_kr(thread.objective, title="Churn", owner=world_a.member, start=10, target=5)
    okr.key_result_check_in(key_result=churn, actor=world_a.member, value=8, confidence=5, at=at(2026, 11, 25, 12))
    return {"warehouses": warehouses, "beta": beta, "crash": crash, "churn": churn, "ship": ship}
