"""The demo's snapshot history is recomputed from its check-ins with the progress math."""

from __future__ import annotations

from datetime import timedelta

import pytest

from objectives.demo import seed_snapshot_history
from objectives.models import ObjectiveSnapshot, TeamSnapshot
from tests.scorecards.board import build_board

pytestmark = pytest.mark.django_db


def test_history_follows_the_check_ins_day_by_day(world_a):
    board = build_board(world_a)
    ObjectiveSnapshot.objects.all().delete()
    made = seed_snapshot_history(org=world_a.org, cycle=board.cycle, today=board.today)
    assert made == 3 * 45  # three objectives, from the cycle's first day to yesterday

    def company(days_ago: int) -> float:
        day = board.today - timedelta(days=days_ago)
        return ObjectiveSnapshot.objects.get(objective=board.company, date=day).progress

    assert company(21) == 0.0  # before any check-in
    assert company(4) == pytest.approx(0.3)  # 10/100 and 5/10
    assert company(1) == pytest.approx(0.55)  # 60/100 and 5/10
    assert not ObjectiveSnapshot.objects.filter(date=board.today).exists()  # tonight's job writes today's
    growth = TeamSnapshot.objects.get(team=world_a.sub_team, date=board.today - timedelta(days=1))
    assert growth.progress == 0.0 and growth.subtree_progress == 0.0
