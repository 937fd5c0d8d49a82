"""Cached executive documents are never stale: every committed change they can
show bumps the organisation's data version, and the cache key carries it.

These tests commit (transactional database) with the documents cache on, as in
production; elsewhere the test settings build every document afresh."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test import override_settings
from rest_framework.test import APIClient

from objectives import reconcile, services
from objectives.models import KeyResult, Objective
from orgs import services as org_services
from orgs.models import Organization
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

CACHED = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "okrkpi-test"},
    "documents": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "documents-test"},
}

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def documents_cache():
    with override_settings(CACHES=CACHED):
        caches["documents"].clear()
        yield caches["documents"]
        caches["documents"].clear()


@pytest.fixture
def tree(world_a):
    cycle = make_cycle(world_a.org)
    company = make_objective(world_a.org, cycle, title="Delight customers")
    team = make_objective(world_a.org, cycle, title="Faster support", parent=company)
    kr = make_kr(team, owner=world_a.member, target=10, title="Tickets closed")
    make_kr(company, owner=world_a.member, target=10, title="NPS")
    return cycle, company, team, kr


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _cascade(client: APIClient, org: Organization, cycle) -> tuple[dict, str]:
    response = client.get(f"/api/v1/orgs/{org.slug}/cascade/?cycle={cycle.pk}")
    assert response.status_code == 200, response.content
    return response.json(), response["ETag"]


def _kr_progress(doc: dict, kr_id: int) -> float:
    def walk(nodes):
        for node in nodes:
            for kr in node["key_results"]:
                if kr["id"] == kr_id:
                    return kr["progress"]
            found = walk(node["children"])
            if found is not None:
                return found
        return None

    return walk(doc["objectives"])


def test_a_check_in_is_in_the_next_cascade(world_a, tree, documents_cache):
    cycle, company, team, kr = tree
    viewer = _client(world_a.viewer)
    before, etag = _cascade(viewer, world_a.org, cycle)
    assert _kr_progress(before, kr.pk) == 0.0
    assert len([k for k in documents_cache._cache if ":cascade-" in k]) == 1  # the document was cached
    again, same_etag = _cascade(viewer, world_a.org, cycle)
    assert (again, same_etag) == (before, etag)

    response = _client(world_a.member).post(
        f"/api/v1/orgs/{world_a.org.slug}/check-ins/", {"key_result": kr.pk, "value": 5, "confidence": 8}
    )
    assert response.status_code == 201
    after, new_etag = _cascade(viewer, world_a.org, cycle)
    assert new_etag != etag
    assert _kr_progress(after, kr.pk) == pytest.approx(0.5)
    assert after["objectives"][0]["children"][0]["progress"] == pytest.approx(0.5)  # rolled up


def test_an_unchanged_document_answers_304_and_a_changed_one_200(world_a, tree):
    cycle, company, team, kr = tree
    viewer = _client(world_a.viewer)
    url = f"/api/v1/orgs/{world_a.org.slug}/cascade/?cycle={cycle.pk}"
    _doc, etag = _cascade(viewer, world_a.org, cycle)
    assert viewer.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    services.objective_update(objective=company, actor=world_a.admin, title="Delight every customer")
    response = viewer.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["objectives"][0]["title"] == "Delight every customer"


def test_team_changes_and_repairs_reach_the_cascade(world_a, tree):
    cycle, company, team, kr = tree
    viewer = _client(world_a.viewer)
    _cascade(viewer, world_a.org, cycle)
    org_services.team_update(team=world_a.team, actor=world_a.admin, name="Customer care")
    doc, _etag = _cascade(viewer, world_a.org, cycle)
    assert "Customer care" in {t["name"] for t in doc["teams"]}
    # A repair by the reconcile job (raw SQL, not logged) is a change too.
    KeyResult.objects.filter(pk=kr.pk).update(progress=1.0)  # as a lost rollup would leave it
    _cascade(viewer, world_a.org, cycle)
    assert reconcile.reconcile_organization(org=world_a.org).repaired >= 1
    doc, _etag = _cascade(viewer, world_a.org, cycle)
    assert doc["objectives"][0]["children"][0]["progress"] == pytest.approx(1.0)
    assert Objective.objects.get(pk=team.pk).progress == pytest.approx(1.0)


def test_a_cached_cascade_costs_a_fixed_few_queries(world_a, tree, django_assert_max_num_queries):
    cycle, *_ = tree
    viewer = _client(world_a.viewer)
    _cascade(viewer, world_a.org, cycle)
    with django_assert_max_num_queries(3):  # membership, cycle (and a session-less token lookup)
        _cascade(viewer, world_a.org, cycle)


def test_the_version_moves_once_per_commit_and_never_on_rollback(world_a):
    from django.db import transaction

    from orgs.versions import bump_data_version, data_version

    start = data_version(world_a.org.pk)
    with transaction.atomic():
        bump_data_version(world_a.org.pk)
        bump_data_version(world_a.org.pk)
        assert data_version(world_a.org.pk) == start  # not before the commit
    assert data_version(world_a.org.pk) == start + 1  # once for the transaction
    with pytest.raises(RuntimeError), transaction.atomic():
        bump_data_version(world_a.org.pk)
        raise RuntimeError("rolled back")
    assert data_version(world_a.org.pk) == start + 1
