"""The import and export pages: upload, the dry run with its mapping, apply, progress."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.spreadsheet import to_csv
from kpis.models import Kpi
from objectives.models import KeyResult, Objective
from orgs.models import Invitation
from rituals import exports, review
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective
from tests.transfer.helpers import csv_bytes
from transfer import services
from transfer.models import ImportRun


@pytest.fixture
def cycle(world_a, pin_now):
    pin_now(datetime(2026, 11, 2, 9, tzinfo=UTC))
    return make_cycle(world_a.org)


def test_upload_map_an_unknown_column_and_apply(world_a, cycle, client):
    client.force_login(world_a.admin)
    base = f"/o/{world_a.org.slug}/settings/import/"
    data = csv_bytes([["Goal", "Người", "Target"], ["Grow", world_a.member.email, 10]])
    response = client.post(base, {"kind": "kpis", "file": SimpleUploadedFile("k.csv", data)})
    run = ImportRun.objects.get(organization=world_a.org)
    assert response.status_code == 302 and response["Location"].endswith(f"/{run.pk}/")
    page = client.get(response["Location"])
    assert "Name" in page.content.decode() and run.dry_run["errors"][0]["field"] == "file"
    client.post(f"{base}{run.pk}/mapping/", {"name": "Goal", "owner": "Người", "target": "Target"})
    run.refresh_from_db()
    assert run.dry_run["errors"] == [] and run.dry_run["create"] == 1
    client.post(f"{base}{run.pk}/apply/", {})
    assert Kpi.objects.get(organization=world_a.org).owner_user == world_a.member
    assert "1 created" in client.get(f"{base}{run.pk}/").content.decode()


def test_bad_rows_refused_on_the_page_unless_only_valid(world_a, cycle, client):
    client.force_login(world_a.admin)
    base = f"/o/{world_a.org.slug}/settings/import/"
    data = csv_bytes([["Name", "Owner", "Target"], ["Good", "", 1], ["Bad", "stranger@x.test", 1]])
    client.post(base, {"kind": "kpis", "file": SimpleUploadedFile("k.csv", data)})
    run = ImportRun.objects.get(organization=world_a.org)
    page = client.post(f"{base}{run.pk}/apply/", {}, follow=True)
    assert "nothing was imported" in page.content.decode() and not Kpi.objects.filter(organization=world_a.org).exists()
    client.post(f"{base}{run.pk}/apply/", {"only_valid": "on"})
    assert list(Kpi.objects.filter(organization=world_a.org).values_list("name", flat=True)) == ["Good"]


def test_not_a_table_gets_a_clear_message(world_a, client):
    client.force_login(world_a.admin)
    response = client.post(
        f"/o/{world_a.org.slug}/settings/import/",
        {"kind": "okrs", "file": SimpleUploadedFile("x.pdf", b"%PDF-1.4\x00\x01")},
        follow=True,
    )
    assert "neither CSV nor XLSX" in response.content.decode()


def test_only_admins_import_the_organisation_others_only_kpi_values(world_a, client):
    """Everything but KPI values is the admins'; a member or manager imports values into the
    KPIs they may record (the KPI library's import); a viewer imports nothing."""
    base = f"/o/{world_a.org.slug}/settings/import/"
    client.force_login(world_a.viewer)
    assert client.get(base).status_code == 403
    for user in (world_a.manager, world_a.member):
        client.force_login(user)
        page = client.get(base)
        assert page.status_code == 200
        assert [v for v, _label in page.context["form"].fields["kind"].choices] == ["measurements"]
        for kind in ("okrs", "people", "kpis", "organization", "viva_goals"):
            file = SimpleUploadedFile("x.csv", b"a,b\n1,2\n")
            assert client.post(base, {"kind": kind, "file": file}).status_code == 400
        assert client.get(f"/o/{world_a.org.slug}/settings/export/").status_code == 403
    assert not ImportRun.objects.filter(organization=world_a.org).exists()


def test_big_files_go_to_the_background_with_progress(
    world_a, cycle, client, settings, django_capture_on_commit_callbacks
):
    m = world_a.member.email
    rows = [["Objective", "Owner", "Key result", "Key result owner", "Target", "Current"]]
    rows += [[f"Goal {n // 2}", "Marketing", f"KR {n % 2}", m, 10, 1] for n in range(40)]
    with django_capture_on_commit_callbacks(execute=False) as queued:
        run = services.import_run_create(
            org=world_a.org, actor=world_a.admin, kind="okrs", data=csv_bytes(rows), filename="big.csv", background=True
        )
    assert run.status == "queued" and run.rows_total == 40 and len(queued) == 1
    client.force_login(world_a.admin)
    poll = client.get(f"/o/{world_a.org.slug}/settings/import/{run.pk}/?poll=1", HTTP_HX_REQUEST="true")
    assert "<progress" in poll.content.decode()
    queued[0]()  # the task (eager in tests) checks the file
    run.refresh_from_db()
    assert run.status == "checked" and run.dry_run["create"] == 60
    with django_capture_on_commit_callbacks(execute=True):
        run = services.import_run_apply(run=run, actor=world_a.admin, background=True)
    run.refresh_from_db()
    assert run.status == "applied" and Objective.objects.filter(organization=world_a.org).count() == 20


def test_the_cycle_export_imports_back(world_a, cycle):
    """The cycle's export (rituals.exports) is an OKR file: imported into another cycle it
    gives the same objectives, owners, key results and values."""
    company = make_objective(world_a.org, cycle, title="Lead the market")
    objective = make_objective(world_a.org, cycle, title="Win", owner_type="team", team=world_a.team, parent=company)
    make_kr(objective, title="Leads", owner=world_a.member)
    make_kr(objective, title="=Deals", owner=world_a.manager)
    rows = exports.cycle_rows(review.review_objectives(org=world_a.org, cycle=cycle), cycle=cycle)
    target = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), status="planning")
    run = services.import_run_create(
        org=world_a.org,
        actor=world_a.admin,
        kind="okrs",
        data=to_csv(rows).encode(),
        filename="okrs.csv",
        options={"cycle": target.pk},
        background=False,
    )
    assert run.dry_run["errors"] == []
    services.import_run_apply(run=run, actor=world_a.admin)
    copy = Objective.objects.get(organization=world_a.org, cycle=target, title="Win")
    assert (copy.title, copy.owner_team, copy.parent.title) == ("Win", world_a.team, "Lead the market")
    assert copy.parent.cycle == target
    got = sorted(
        KeyResult.objects.filter(objective=copy).values_list("title", "owner_id", "target_value", "current_value")
    )
    want = sorted(
        KeyResult.objects.filter(objective=objective).values_list("title", "owner_id", "target_value", "current_value")
    )
    assert got == want


def test_an_unknown_owner_is_mapped_to_a_member_or_invited(world_a, cycle, client):
    client.force_login(world_a.admin)
    base = f"/o/{world_a.org.slug}/settings/import/"
    rows = [["Name", "Owner", "Target"], ["Sales", "Nguyễn Văn A", 1], ["Costs", "new@x.test", 1]]
    client.post(base, {"kind": "kpis", "file": SimpleUploadedFile("k.csv", csv_bytes(rows))})
    run = ImportRun.objects.get(organization=world_a.org)
    assert run.dry_run["unknown_people"] == ["Nguyễn Văn A", "new@x.test"]
    page = client.get(f"{base}{run.pk}/").content.decode()
    assert "People not found" in page and "Nguyễn Văn A" in page
    client.post(f"{base}{run.pk}/people/", {"person_0": str(world_a.manager.pk), "invite": "on"})
    run.refresh_from_db()
    assert [e["row"] for e in run.dry_run["errors"]] == [3]
    client.post(f"{base}{run.pk}/apply/", {"only_valid": "on"})
    assert Kpi.objects.get(organization=world_a.org, name="Sales").owner_user == world_a.manager
    assert Invitation.objects.filter(organization=world_a.org, email="new@x.test").exists()
    # A member of another organisation cannot be chosen.
    other = ImportRun.objects.get(pk=run.pk)
    response = client.post(f"{base}{other.pk}/people/", {"person_0": "999999"})
    assert response.status_code == 302
