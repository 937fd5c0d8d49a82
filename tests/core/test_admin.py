"""The admin site reads tenant data but never writes it behind the services' back: every
tenant model it registers is read-only there, except the organisation's settings, which
go through ``organization_update`` (validated, logged, the data version bumped)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from activity.models import ActivityEntry
from kpis.models import Kpi
from orgs.models import Organization, User
from tests.kpis.kpi_factories import make_kpi

pytestmark = pytest.mark.django_db


def _tenant_admins():
    for model, model_admin in admin.site._registry.items():
        if model is not Organization and any(f.name == "organization" for f in model._meta.get_fields()):
            yield model, model_admin


@pytest.fixture
def operator(db) -> User:
    return User.objects.create_superuser(email="ops@example.test", password="x-Very-long-pass-1")


def test_every_tenant_model_in_the_admin_is_read_only(operator):
    request = RequestFactory().get("/admin/")
    request.user = operator
    seen = []
    for model, model_admin in _tenant_admins():
        seen.append(model.__name__)
        assert model_admin.has_view_permission(request), model
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model
    assert {"Kpi", "Measurement", "Membership", "Team"} <= set(seen)


def test_an_operator_cannot_change_or_delete_a_kpi_in_the_admin(world_a, client, operator):
    kpi = make_kpi(world_a.org, name="Leads")
    client.force_login(operator)
    assert client.get(f"/admin/kpis/kpi/{kpi.pk}/change/").status_code == 200  # still shown
    assert client.get("/admin/kpis/kpi/", {"q": "Leads"}).status_code == 200
    r = client.post(f"/admin/kpis/kpi/{kpi.pk}/change/", {"name": "Renamed"})
    assert r.status_code == 403
    r = client.post(f"/admin/kpis/kpi/{kpi.pk}/delete/", {"post": "yes"})
    assert r.status_code == 403
    assert Kpi.objects.get(pk=kpi.pk).name == "Leads"


def test_an_operator_renaming_an_organisation_goes_through_its_service(
    world_a, client, operator, django_capture_on_commit_callbacks
):
    org = world_a.org
    version = Organization.objects.get(pk=org.pk).data_version
    client.force_login(operator)
    page = client.get(f"/admin/orgs/organization/{org.pk}/change/")
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data["name"] = "Alpha Corp"
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/admin/orgs/organization/{org.pk}/change/", data)
    assert r.status_code == 302, r.content[:2000]
    org.refresh_from_db()
    assert org.name == "Alpha Corp"
    assert ActivityEntry.objects.filter(organization=org, verb="organization.updated").exists()
    assert org.data_version > version
    assert client.post(f"/admin/orgs/organization/{org.pk}/delete/", {"post": "yes"}).status_code == 403
