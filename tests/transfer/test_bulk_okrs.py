"""The bulk path of the ``okrs`` kind (``objectives.services.bulk``) writes what the row-by-row
path writes: the same objectives, key results, initiatives, statuses, check-ins, progress,
activity entries and external keys, the same refusals on the same rows, and nothing of a
refused objective."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from activity.models import ActivityEntry
from cycles.models import Cycle
from objectives.models import CheckIn, Initiative, KeyResult, Objective
from tests.objectives.okr_factories import make_cycle
from tests.transfer.helpers import csv_bytes
from transfer import services
from transfer.models import ImportedKey, ImportRun

HEADER = ["Objective", "Owner", "Aligned to", "Status", "Key result", "Key result owner", "Start", "Target"]
HEADER += ["Current", "Initiative", "Description", "Confidence", "Check-in note"]
# Ids in the activity entries' data: they differ between the two organisations compared.
IDS = {"owner", "owner_user", "owner_team", "parent", "cycle", "kpi", "objective", "key_result"}


def _rows(world, *, refused: bool) -> list[list[Any]]:
    m, a = world.member.email, world.admin.email
    rows = [
        HEADER,
        ["Grow the company", a, "", "", "Revenue", m, 0, 100, 40, "", "From the board", "", ""],
        ["Grow the company", a, "", "", "Margin", "", 10, 20, 15, "Price review", "From the board", "", ""],
        ["Win the north", m, "Grow the company", "", "Deals", "", 0, 10, 5, "", "", "", ""],
        ["Win the north", m, "Grow the company", "", "Calls", a, 0, 50, 50, "Call list", "", "", ""],
        ["Open Hanoi", m, "Win the north", "", "Stores", "", 0, 4, 1, "", "", "", ""],
        ["Open Hanoi", m, "Win the north", "", "", "", "", "", "", "Find a lease", "", "", ""],
        # A cycle's export read back: a status to set, and check-ins (a confidence, a note).
        ["Keep the south", m, "Grow the company", "Active", "Shops", "", 0, 8, 2, "", "", "", ""],
        ["Keep the south", m, "Grow the company", "Active", "Visits", "", 0, 30, 9, "", "", 7, ""],
        ["Keep the south", m, "Grow the company", "Active", "Calls", a, 0, 40, 12, "Door to door", "", "", "Slow"],
        ["Open Hue", m, "Keep the south", "Active", "Shops", "", 0, 3, 3, "", "", 9, "Done early"],
        ["Open Hue", m, "Keep the south", "Active", "Staff", a, 0, 6, 2, "", "", 4, ""],
        ["Open Hue", m, "Keep the south", "Active", "Rent", "", 100, 80, 90, "", "", 6, ""],
        ["No key results yet", "Marketing", "", "", "", "", "", "", "", "Plan it", "", "", ""],
    ]
    if refused:  # the services refuse a target equal to the start; the dry run does not see it
        rows += [
            ["Flat", m, "Win the north", "", "Same", "", 5, 5, 5, "", "", "", ""],
            ["Flat", m, "Win the north", "", "Other", "", 0, 5, 1, "", "", "", ""],
        ]
    return rows


def _apply(world, *, per_row: bool, refused: bool = False, only_valid: bool = False) -> ImportRun:
    run = services.import_run_create(
        org=world.org,
        actor=world.admin,
        kind="okrs",
        data=csv_bytes(_rows(world, refused=refused)),
        filename="okrs.csv",
        options={"per_row": per_row},
        background=False,
    )
    assert run.dry_run["errors"] == []
    return services.import_run_apply(run=run, actor=world.admin, only_valid=only_valid, background=False)


def _who(world, user_id: int | None) -> str:
    return {world.admin.pk: "admin", world.member.pk: "member", None: ""}.get(user_id, "someone else")


def _state(world) -> dict[str, Any]:
    """Everything the import wrote, without ids (two organisations are compared)."""
    org = world.org
    objectives = Objective.objects.filter(organization=org).select_related("parent", "owner_team")
    key_results = KeyResult.objects.filter(organization=org).select_related("objective")
    titles = {("objectives.objective", o.pk): o.title for o in objectives}
    titles.update({("objectives.keyresult", k.pk): k.title for k in key_results})
    return {
        "objectives": sorted(
            (
                o.title,
                o.description,
                o.parent.title if o.parent else "",
                o.owner_type,
                _who(world, o.owner_user_id),
                o.owner_team.name if o.owner_team else "",
                o.status,
                o.commitment,
                o.weight,
                round(o.progress, 12),
                o.confidence,
                o.activated_at,
            )
            for o in objectives
        ),
        "key_results": sorted(
            (
                k.objective.title,
                k.title,
                _who(world, k.owner_id),
                k.kind,
                k.unit,
                k.start_value,
                k.target_value,
                k.current_value,
                round(k.progress, 12),
                k.position,
                k.weight,
                k.confidence,
                k.last_check_in_at,
            )
            for k in key_results
        ),
        "check_ins": sorted(
            (c.key_result.title, _who(world, c.author_id), c.value, c.confidence, c.note, c.origin, _came(world, c))
            for c in CheckIn.objects.filter(key_result__organization=org).select_related("key_result")
        ),
        "initiatives": sorted(
            Initiative.objects.filter(organization=org).values_list("objective__title", "title", "status", "owner")
        ),
        "activity": Counter(
            (e.verb, e.target_type, e.target_repr, _who(world, e.actor_id), _data(e.before), _data(e.after))
            for e in ActivityEntry.objects.filter(organization=org).exclude(verb="import.applied")
        ),
        "keys": sorted(
            (k.kind, k.key, k.model, titles.get((k.model, k.object_id), "?"))
            for k in ImportedKey.objects.filter(organization=org)
        ),
    }


def _came(world, check_in: CheckIn) -> str:
    came = check_in.provenance or {}
    return repr(sorted((k, _who(world, v) if k == "who" else v) for k, v in came.items()))


def _data(data: dict[str, Any] | None) -> str:
    return repr(sorted((k, v) for k, v in (data or {}).items() if k not in IDS))


@pytest.fixture
def worlds(world_a, world_b, pin_now):
    pin_now(datetime(2026, 11, 2, 9, tzinfo=UTC))
    make_cycle(world_a.org)
    make_cycle(world_b.org)
    return world_a, world_b


def test_the_bulk_path_writes_what_the_row_by_row_path_writes(worlds):
    row_by_row, bulk = worlds
    slow = _apply(row_by_row, per_row=True)
    fast = _apply(bulk, per_row=False)
    assert fast.result == slow.result
    assert fast.result["create"] == 6 + 11 and fast.result["errors"] == []
    state = _state(bulk)
    assert state == _state(row_by_row)
    # The round trip's statuses and latest values are there: activated, each value checked in.
    assert {o[0]: o[6] for o in state["objectives"]}["Open Hue"] == "active"
    assert len(state["check_ins"]) == 5 and ("Calls", "admin", 12.0, 5, "Slow") in [c[:5] for c in state["check_ins"]]
    verbs = Counter(e[0] for e in state["activity"].elements())
    assert verbs["objective.activated"] == 2 and verbs["key_result.checked_in"] == 5
    # The rollup ran once at the end, and the cascade's progress is right.
    progress = {o[0]: o[9] for o in state["objectives"]}
    assert progress["Open Hanoi"] == pytest.approx(0.25)
    assert progress["Win the north"] == pytest.approx((0.5 + 1.0) / 2)  # a draft child counts for nothing
    assert progress["Grow the company"] > 0


def test_a_second_apply_in_bulk_changes_nothing(worlds):
    world, _other = worlds
    _apply(world, per_row=False)
    before = _state(world)
    again = _apply(world, per_row=False)
    assert (again.result["create"], again.result["update"]) == (0, 0)
    assert again.result["unchanged"] == 6 + 11  # the objectives and their key results
    assert _state(world) == before


def test_a_refused_objective_is_reported_on_its_row_and_nothing_of_it_is_written(worlds):
    row_by_row, bulk = worlds
    slow = _apply(row_by_row, per_row=True, refused=True, only_valid=True)
    fast = _apply(bulk, per_row=False, refused=True, only_valid=True)
    assert fast.result["errors"] == slow.result["errors"]
    assert [(e["row"], e["field"]) for e in fast.result["errors"]] == [(15, "target_value")]
    assert _state(bulk) == _state(row_by_row)
    assert not Objective.objects.filter(organization=bulk.org, title="Flat").exists()
    assert not KeyResult.objects.filter(organization=bulk.org, title="Other").exists()
    assert not ActivityEntry.objects.filter(organization=bulk.org, target_repr__contains="Flat").exists()


@pytest.mark.parametrize("per_row", [True, False])
def test_all_or_nothing_writes_nothing_when_a_row_is_refused(worlds, per_row):
    world, _other = worlds
    with pytest.raises(ValidationError):
        _apply(world, per_row=per_row, refused=True)
    assert not Objective.objects.filter(organization=world.org).exists()
    assert not ImportedKey.objects.filter(organization=world.org).exists()
    assert not ActivityEntry.objects.filter(organization=world.org, target_type__startswith="objectives.").exists()


def test_through_the_outbox_the_bulk_path_queues_one_rollup_row_per_objective(worlds, settings):
    from objectives.models import RollupPending
    from objectives.rollup import rollup_pending

    row_by_row, bulk = worlds
    _apply(row_by_row, per_row=True)
    settings.ROLLUP_INLINE = False  # the worker's outbox, as in production
    _apply(bulk, per_row=False)
    queued = Counter(RollupPending.objects.filter(organization=bulk.org).values_list("objective_id", flat=True))
    in_bulk = {o.pk: o.title for o in Objective.objects.filter(organization=bulk.org)}
    # Once each, whatever its key results, check-ins and status: the objectives with key
    # results and the parents.
    found = {in_bulk[oid]: n for oid, n in queued.items() if oid in in_bulk}
    assert found["Win the north"] == found["Open Hanoi"] == found["Open Hue"] == found["Keep the south"] == 1
    assert "Grow the company" in found
    assert "No key results yet" not in found
    rollup_pending(org_id=bulk.org.pk)
    assert _state(bulk)["objectives"] == _state(row_by_row)["objectives"]


def test_a_refused_activation_is_reported_on_its_row_as_row_by_row(worlds):
    row_by_row, bulk = worlds
    for world in worlds:  # the cycle asks for approval: a new objective cannot be activated
        Cycle.objects.filter(organization=world.org).update(approvals_required=True)
    slow = _apply(row_by_row, per_row=True, only_valid=True)
    fast = _apply(bulk, per_row=False, only_valid=True)
    assert fast.result["errors"] == slow.result["errors"]
    assert {(e["row"], e["field"]) for e in fast.result["errors"]} == {(8, "status"), (11, "status")}
    assert _state(bulk) == _state(row_by_row)
    assert not Objective.objects.filter(organization=bulk.org, title="Open Hue").exists()
    assert not CheckIn.objects.filter(key_result__organization=bulk.org).exists()


def test_check_ins_a_chat_channel_hears_of_go_row_by_row(worlds):
    from notifications.models import Channel, OutboxMessage

    row_by_row, bulk = worlds
    for world in worlds:
        Channel.objects.create(
            organization=world.org, kind="slack", name="Sales", url="https://hooks.example.test/x", events=["check_in"]
        )
    _apply(row_by_row, per_row=True)
    _apply(bulk, per_row=False)
    assert _state(bulk) == _state(row_by_row)
    # Each check-in was announced, as row by row.
    assert OutboxMessage.objects.filter(organization=bulk.org).count() == 5
    assert OutboxMessage.objects.filter(organization=row_by_row.org).count() == 5
