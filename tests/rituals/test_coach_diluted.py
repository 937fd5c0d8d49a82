"""The coach's rule on contributions: an objective counting in more than three parents (its
primary one and its contributions) is diluted."""

from __future__ import annotations

from objectives import services
from rituals import coach
from rituals.coach import ObjectiveFacts
from rituals.quality import objective_quality
from tests.objectives.okr_factories import make_cycle, make_objective


def test_more_than_three_parents_is_diluted_three_is_not():
    def codes(parents: int) -> list[str]:
        return [f.code for f in coach.check_objective(ObjectiveFacts(title="Be loved", parents=parents))]

    assert "objective_diluted" not in codes(3)
    found = [
        f for f in coach.check_objective(ObjectiveFacts(title="Be loved", parents=4)) if f.code == "objective_diluted"
    ]
    assert len(found) == 1 and found[0].severity == coach.WARNING
    assert "contributes to 4 parents" in found[0].message


def test_the_quality_report_counts_the_primary_parent_and_the_contributions(world_a):
    cycle = make_cycle(world_a.org)
    parents = [make_objective(world_a.org, cycle, title=f"Parent {i}", status="active") for i in range(4)]
    child = make_objective(
        world_a.org, cycle, title="Spread thin", owner_type="team", team=world_a.team, parent=parents[0]
    )
    for parent in parents[1:3]:
        services.contribution_create(child=child, actor=None, parent=parent)
    codes = {f.code for f in objective_quality(org=world_a.org, objective=child).findings}
    assert "objective_diluted" not in codes  # three parents
    services.contribution_create(child=child, actor=None, parent=parents[3])
    report = objective_quality(org=world_a.org, objective=child)
    assert [f.params for f in report.findings if f.code == "objective_diluted"] == [{"count": 4}]
