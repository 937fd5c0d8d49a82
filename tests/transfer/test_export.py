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
    document = json.loads(response.content)
    assert document["format"] == "okrkpi-organization" and document["version"] == 1
    assert set(FIELDS) <= set(document)
    assert [o["title"] for o in document["objectives"]] == ["=HYPERLINK(1)"]  # the JSON keeps text as written
    assert document["key_results"][0]["owner_email"] == world_a.member.email
    assert "password" not in response.content.decode() and "Beta secret" not in response.content.decode()


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
    assert json.loads(page.content)["organization"]["slug"] == world_a.org.slug


def test_the_format_document_lists_every_field():
    from pathlib import Path

    from transfer.document import ORGANIZATION_FIELDS

    text = (Path(__file__).resolve().parents[2] / "docs" / "export-format.md").read_text()
    missing = [
        f"{c}.{f}" for c, fields in FIELDS.items() for f in fields if f"`{f}`" not in text or f"`{c}`" not in text
    ]
    missing += [f for f in ORGANIZATION_FIELDS if f"`{f}`" not in text]
    assert missing == []
