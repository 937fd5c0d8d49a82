"""The organisation setting of what a restricted row shows (DESIGN §3): on the settings page,
kept when an older form leaves it out, and in the organisation export."""

from __future__ import annotations

import pytest

from orgs.models import Organization
from orgs.services import ORGANIZATION_SETTINGS

pytestmark = pytest.mark.django_db


def test_the_settings_page_offers_and_saves_it(client, world_a):
    client.force_login(world_a.admin)
    page = client.get("/o/alpha/settings/").content.decode()
    assert 'name="restricted_display"' in page and "Only how many there are" in page
    form = {f: getattr(world_a.org, f) for f in ORGANIZATION_SETTINGS if f != "restricted_display"}
    form = {k: ("on" if v is True else v) for k, v in form.items() if v is not False}
    r = client.post("/o/alpha/settings/", {**form, "restricted_display": "count"})
    assert r.status_code == 302
    assert Organization.objects.get(pk=world_a.org.pk).restricted_display == "count"
    # A form that does not send it keeps it.
    client.post("/o/alpha/settings/", form)
    assert Organization.objects.get(pk=world_a.org.pk).restricted_display == "count"


def test_the_organisation_export_carries_it():
    from transfer.document import ORGANIZATION_FIELDS

    assert "restricted_display" in ORGANIZATION_FIELDS
