"""After the directory removes a person (SCIM), what they owned stays theirs, and every owner
name says they are a former member, in the page's language, with no query a row."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from identity.services.scim import scim_token_create
from objectives.tree import objective_rows
from orgs.models import Membership
from orgs.ownership import owner_name
from scorecards.owners import row_owner_name
from tests.kpis.kpi_factories import make_kpi
from tests.objectives.okr_factories import make_cycle, make_objective

pytestmark = pytest.mark.django_db

USER = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture
def eli_gone(world_a, client):
    """Eli, provisioned by the directory, owns an objective and a KPI, then is deleted there."""
    _token, key = scim_token_create(org=world_a.org, actor=world_a.admin, name="Entra", request=None)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}", "content_type": "application/scim+json"}
    body = {"schemas": [USER], "userName": "eli@alpha.test", "name": {"givenName": "Eli", "familyName": "Vo"}}
    uid = client.post("/scim/v2/orgs/alpha/Users", json.dumps(body), **auth).json()["id"]
    eli = Membership.objects.get(organization=world_a.org, user_id=int(uid)).user
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="Eli's objective", owner_type="person", user=eli)
    kpi = make_kpi(world_a.org, name="Eli's KPI", owner_type="person", user=eli)
    assert client.delete(f"/scim/v2/orgs/alpha/Users/{uid}", **auth).status_code == 204
    assert not Membership.objects.filter(organization=world_a.org, user=eli).exists()
    return cycle, objective, kpi


def test_the_pages_name_a_former_member_as_one(world_a, eli_gone, web):
    _cycle, objective, kpi = eli_gone
    page = web(world_a.admin)
    assert "Eli Vo (former member)" in page.get(f"/o/alpha/okrs/{objective.pk}/").content.decode()
    assert "Eli Vo (former member)" in page.get(f"/o/alpha/kpis/{kpi.pk}/").content.decode()
    world_a.admin.language = "vi"
    world_a.admin.save(update_fields=["language"])
    assert "Eli Vo (cựu thành viên)" in page.get(f"/o/alpha/okrs/{objective.pk}/").content.decode()


def test_rows_name_a_former_member_and_a_member_as_before(world_a, eli_gone, django_assert_num_queries):
    cycle, _objective, _kpi = eli_gone
    make_objective(world_a.org, cycle, title="Member's", owner_type="person", user=world_a.member)
    with django_assert_num_queries(1):
        rows = {r.title: r for r in objective_rows(org=world_a.org, cycle=cycle)}
    assert row_owner_name(rows["Eli's objective"], {}) == "Eli Vo (former member)"
    assert row_owner_name(rows["Member's"], {}) == world_a.member.name
    with translation.override("vi"):
        assert row_owner_name(rows["Eli's objective"], {}) == "Eli Vo (cựu thành viên)"


def test_the_one_rule_names_a_former_member():
    assert owner_name("person", user_name="", user_email="x@a.test", former_member=True) == "x@a.test (former member)"
    assert owner_name("team", team_name="Sales", former_member=True) == "Sales"
    assert owner_name("person", user_name="Ann", user_email="a@a.test") == "Ann"


def test_the_dashboards_rows_know_a_former_member(world_a, eli_gone):
    from datetime import UTC, date, datetime

    from scorecards.dashboard.reads import objectives_and_key_results

    cycle, objective, _kpi = eli_gone
    moment = datetime(2026, 10, 15, tzinfo=UTC)
    rows, _krs = objectives_and_key_results(
        org=world_a.org, cycle=cycle, as_of=None, since=date(2026, 10, 8), since_end=moment, day_end=moment
    )
    (row,) = [r for r in rows if r.id == objective.pk]
    assert row.owner_former and row_owner_name(row, {}) == "Eli Vo (former member)"


def test_a_cached_document_is_kept_apart_per_language(world_a):
    from scorecards.documents import document_key

    with translation.override("vi"):
        vi = document_key("cascade", world_a.org, 1)
    with translation.override("en"):
        assert document_key("cascade", world_a.org, 1) != vi
