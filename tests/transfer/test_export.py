"""The organisation export: admins only, every collection, no secret, formula-safe CSV."""

from __future__ import annotations

import io
import json
import zipfile

from tests.objectives.okr_factories import make_cycle, make_kr, make_objective
from transfer.document import FIELDS


def test_admin_exports_the_organisation_as_json_without_passwords(world_a, world_b, api):
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="=HYPERLINK(1)")
    make_kr(objective, title="Leads", owner=world_a.member)
    make_objective(world_b.org, make_cycle(world_b.org), title="Beta secret")
    response = api(world_a.admin).get(f"/api/v1/orgs/{world_a.org.slug}/export/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    document = json.loads(body)
    assert document["format"] == "okrkpi-organization" and document["version"] == 1
    assert set(FIELDS) <= set(document)
    assert [o["title"] for o in document["objectives"]] == ["=HYPERLINK(1)"]  # the JSON keeps text as written
    assert document["key_results"][0]["owner_email"] == world_a.member.email
    assert b"password" not in body and "Beta secret" not in body.decode()


def test_zip_holds_one_formula_safe_csv_per_collection(world_a, api):
    make_objective(world_a.org, make_cycle(world_a.org), title="=1+1")
    response = api(world_a.admin).get(f"/api/v1/orgs/{world_a.org.slug}/export/?format=zip")
    assert response.status_code == 200
    files = zipfile.ZipFile(io.BytesIO(response.content))
    assert {f"{c}.csv" for c in FIELDS} <= set(files.namelist())
    assert "'=1+1" in files.read("objectives.csv").decode("utf-8-sig")


def test_only_admins_export(world_a, api, client):
    for user in (world_a.manager, world_a.member, world_a.viewer):
        assert api(user).get(f"/api/v1/orgs/{world_a.org.slug}/export/").status_code == 403
    client.force_login(world_a.member)
    assert client.get(f"/o/{world_a.org.slug}/settings/export/").status_code == 403
    client.force_login(world_a.admin)
    assert client.get(f"/o/{world_a.org.slug}/settings/export/").status_code == 200
    page = client.get(f"/o/{world_a.org.slug}/settings/export/?format=json")
    assert json.loads(b"".join(page.streaming_content))["organization"]["slug"] == world_a.org.slug


def test_the_format_document_lists_every_field():
    from pathlib import Path

    from transfer.document import ORGANIZATION_FIELDS

    text = (Path(__file__).resolve().parents[2] / "docs" / "export-format.md").read_text()
    missing = [
        f"{c}.{f}" for c, fields in FIELDS.items() for f in fields if f"`{f}`" not in text or f"`{c}`" not in text
    ]
    missing += [f for f in ORGANIZATION_FIELDS if f"`{f}`" not in text]
    assert missing == []


def test_the_streamed_json_is_the_document(world_a, api):
    from transfer import services

    cycle = make_cycle(world_a.org)
    make_kr(make_objective(world_a.org, cycle, title="Grow"), title="Leads", owner=world_a.member)
    response = api(world_a.admin).get(f"/api/v1/orgs/{world_a.org.slug}/export/")
    assert response.streaming
    streamed = json.loads(b"".join(response.streaming_content))
    document = json.loads(json.dumps(services.organization_export(org=world_a.org), default=str))
    streamed.pop("exported_at"), document.pop("exported_at")
    assert streamed == document


def test_a_prepared_export_is_behind_a_link_that_expires(
    world_a, world_b, client, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    import time

    settings.TRANSFER_EXPORT_DIR = tmp_path
    client.force_login(world_a.admin)
    base = f"/o/{world_a.org.slug}/settings/export/"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(base, {"format": "zip"})
    link = response["Location"]
    assert client.get(link, HTTP_HX_REQUEST="true").status_code == 204  # not written yet
    queued[0]()
    download = client.get(link)
    assert (
        download.status_code == 200
        and "organization.csv" in zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))).namelist()
    )
    token = link.split("t=", 1)[1]
    client.force_login(world_b.admin)
    assert client.get(f"/o/{world_b.org.slug}/settings/export/download/?t={token}").status_code == 410
    client.force_login(world_a.admin)
    assert client.get(f"{base}download/?t={token[:-2]}xx").status_code == 410
    later = time.time() + 25 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get(link).status_code == 410


def test_the_operator_restores_an_export_with_the_command(world_a, tmp_path):
    from django.core.management import call_command

    from orgs.models import Membership, Organization, Role
    from transfer import services
    from transfer.archive import document_json

    make_kr(make_objective(world_a.org, make_cycle(world_a.org), title="Grow"), title="Leads", owner=world_a.member)
    path = tmp_path / "export.json"
    path.write_bytes(document_json(services.organization_export(org=world_a.org)))
    empty = Organization.objects.create(name="Empty", slug="empty")
    Membership.objects.create(organization=empty, user=world_a.admin, role=Role.ADMIN)
    out = io.StringIO()
    call_command("import_organization", "empty", str(path), stdout=out)
    assert "Imported" in out.getvalue()
    assert Membership.objects.filter(organization=empty, user=world_a.member).exists()
    assert services.organization_export(org=empty)["key_results"][0]["owner_email"] == world_a.member.email
