"""A member demoted to viewer keeps owning their objectives, key results, initiatives and
KPIs (nobody has reassigned them yet), but a viewer writes nothing (DESIGN §3): every write
the owner could make in the role matrix is refused to them, on pages as well as the API."""

from __future__ import annotations

import pytest
from django.db import transaction

from orgs.models import Membership, Role
from tests.orgs.tenant_matrix import fingerprint
from tests.orgs.test_role_matrix import Row, _body, _rows, _url, _world

pytestmark = pytest.mark.django_db

# Writes that are not about what the owner owns: a viewer may still mark their own notification read.
NOT_OWNERSHIP = {"read"}


def _owner_rows() -> list[Row]:
    return [r for r in _rows() if r.expected["owner"] and not r.expected["viewer"] and r.body not in NOT_OWNERSHIP]


@pytest.mark.parametrize("row", _owner_rows(), ids=lambda r: r.id)
def test_a_member_demoted_to_viewer_cannot_write_what_they_still_own(row: Row, world_a, client, api):
    users, objects = _world(world_a)
    Membership.objects.filter(organization=world_a.org, user=users["owner"]).update(role=Role.VIEWER)
    demoted = users["owner"]
    target = _url(row.path, objects, "owner")
    before = fingerprint(world_a.org)
    with transaction.atomic():
        if row.path.startswith("api/"):
            response = getattr(api(demoted), row.method.lower())(target, _body(row.body, objects), format="json")
        else:
            client.force_login(demoted)
            response = client.post(target, _body(row.body, objects))
        changed = fingerprint(world_a.org) != before
        transaction.set_rollback(True)
    assert (response.status_code, changed) == (403, False), f"role_matrix.txt:{row.line} {row.id}"


def test_the_pages_offer_a_demoted_viewer_nothing_to_write(world_a, client):
    users, objects = _world(world_a)
    owner = users["owner"]
    client.force_login(owner)
    detail = f"/o/alpha/okrs/{objects['obj:person']}/"
    edit_url = f"/o/alpha/okrs/{objects['obj:person']}/edit/"
    page = client.get(detail).content.decode()
    assert "checkin-box" in page and edit_url in page  # while a member: their check-in box and Edit
    assert f'name="kr{objects["kr:person"]}-value"' in client.get("/o/alpha/check-ins/").content.decode()
    Membership.objects.filter(organization=world_a.org, user=owner).update(role=Role.VIEWER)
    page = client.get(detail).content.decode()
    assert "checkin-box" not in page and edit_url not in page
    assert f'name="kr{objects["kr:person"]}-value"' not in client.get("/o/alpha/check-ins/").content.decode()
    before = fingerprint(world_a.org)
    r = client.post(
        "/o/alpha/check-ins/", {f"kr{objects['kr:person']}-value": 9, f"kr{objects['kr:person']}-confidence": 6}
    )
    assert r.status_code == 403 and fingerprint(world_a.org) == before
