"""An imported objective's page says where it came from ("Imported from Viva Goals, run #N,
<date>"), linking to the import for an admin; an objective made on the page says nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from objectives.models import Objective
from tests.objectives.okr_factories import make_cycle, make_objective
from tests.transfer.helpers import apply, csv_bytes
from transfer.receivers import imported_from

VIVA = ["ID", "Title", "Type", "Owner", "Parent", "Target", "Current", "Status", "Check-ins"]


@pytest.fixture
def cycle(world_a, pin_now):
    pin_now(datetime(2026, 11, 2, 9, tzinfo=UTC))
    return make_cycle(world_a.org)


@pytest.fixture
def imported(world_a, cycle):
    m = world_a.member.email
    rows = [VIVA, ["1", "Grow", "Objective", m, "", "", "", "", ""]]
    rows += [[f"k{n}", f"KR {n}", "Key Result", m, "1", "10", "1", "", ""] for n in range(2)]
    run = apply(world_a, "viva_goals", csv_bytes(rows), "viva.csv")
    return run, Objective.objects.get(organization=world_a.org, title="Grow")


def test_an_admin_sees_the_import_and_its_link(world_a, imported, client):
    run, objective = imported
    client.force_login(world_a.admin)
    html = client.get(f"/o/{world_a.org.slug}/okrs/{objective.pk}/").content.decode()
    assert f"Imported from Viva Goals, run #{run.pk}, " in html
    assert f'href="/o/{world_a.org.slug}/settings/import/{run.pk}/"' in html


def test_a_member_sees_where_it_came_from_without_the_link(world_a, imported, client):
    run, objective = imported
    client.force_login(world_a.member)
    html = client.get(f"/o/{world_a.org.slug}/okrs/{objective.pk}/").content.decode()
    assert f"Imported from Viva Goals, run #{run.pk}, " in html
    assert "/settings/import/" not in html


def test_an_okr_file_names_the_file_and_a_page_made_objective_says_nothing(world_a, cycle, client):
    m = world_a.member.email
    run = apply(world_a, "okrs", csv_bytes([["Objective", "Owner", "Key result"], ["Ship", m, ""]]), "q4.csv")
    shipped = Objective.objects.get(organization=world_a.org, title="Ship")
    typed = make_objective(world_a.org, cycle, title="Typed in")
    client.force_login(world_a.admin)
    assert f"Imported from q4.csv, run #{run.pk}, " in client.get(f"/o/alpha/okrs/{shipped.pk}/").content.decode()
    assert "Imported from" not in client.get(f"/o/alpha/okrs/{typed.pk}/").content.decode()
    assert imported_from(org_id=world_a.org.pk, model="objectives.objective", object_id=typed.pk) is None


def test_another_organisations_import_is_not_shown(world_a, world_b, imported):
    _run, objective = imported
    assert imported_from(org_id=world_b.org.pk, model="objectives.objective", object_id=objective.pk) is None


def _api_list(client, slug: str) -> tuple[int, dict[int, dict | None]]:
    with CaptureQueriesContext(connection) as queries:
        r = client.get(f"/api/v1/orgs/{slug}/objectives/?page_size=100")
    assert r.status_code == 200, r.json()
    return len(queries), {o["id"]: o["imported_from"] for o in r.json()["results"]}


def test_the_api_gives_the_import_of_an_objective_and_null_for_one_made_by_hand(world_a, imported, cycle, api):
    run, objective = imported
    typed = make_objective(world_a.org, cycle, title="Typed in")
    client = api(world_a.member)
    body = client.get(f"/api/v1/orgs/alpha/objectives/{objective.pk}/").json()
    assert body["imported_from"]["kind"] == "viva_goals" and body["imported_from"]["run"] == run.pk
    assert datetime.fromisoformat(body["imported_from"]["imported_at"]) == datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert client.get(f"/api/v1/orgs/alpha/objectives/{typed.pk}/").json()["imported_from"] is None


def test_the_api_list_finds_every_objectives_import_in_the_same_number_of_queries(world_a, imported, cycle, api):
    """One query for the page's imports, however many objectives came from however many runs."""
    viva, grow = imported
    client = api(world_a.admin)
    one_count, one = _api_list(client, "alpha")
    assert list(one) == [grow.pk] and one[grow.pk]["run"] == viva.pk
    m = world_a.member.email
    rows = [["Objective", "Owner", "Key result"]] + [[f"Ship {n}", m, ""] for n in range(6)]
    okrs = apply(world_a, "okrs", csv_bytes(rows), "q4.csv")
    typed = [make_objective(world_a.org, cycle, title=f"Typed {n}").pk for n in range(4)]
    many_count, many = _api_list(client, "alpha")
    shipped = Objective.objects.filter(organization=world_a.org, title__startswith="Ship ").values_list("pk", flat=True)
    assert len(many) == 11 and len(shipped) == 6
    assert {pk: o and (o["kind"], o["run"]) for pk, o in many.items()} == {
        grow.pk: ("viva_goals", viva.pk),
        **dict.fromkeys(shipped, ("okrs", okrs.pk)),
        **dict.fromkeys(typed),
    }
    assert many_count == one_count
