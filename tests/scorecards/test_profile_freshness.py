"""A person's new name is in the next cached dashboard and cascade of every organisation they
belong to: the profile saves through ``orgs.services.user_update``, which bumps each of their
organisations' data version (the documents are cached under it). With the documents cache on."""

from __future__ import annotations

import json

import pytest

from orgs.models import Membership, Organization
from tests.objectives.okr_factories import make_cycle, make_objective
from tests.scorecards.board import build_board

pytestmark = [pytest.mark.django_db(transaction=True)]


def _dashboard(client, slug: str) -> str:
    r = client.get(f"/api/v1/orgs/{slug}/dashboard/")
    assert r.status_code == 200
    return r.content.decode()


def _cascade(client, slug: str, cycle_id: int) -> dict:
    r = client.get(f"/api/v1/orgs/{slug}/cascade/?cycle={cycle_id}")
    assert r.status_code == 200
    return json.loads(r.content)


def test_a_name_changed_on_the_profile_page_is_in_every_organisation_s_next_documents(
    world_a, world_b, api, client, documents_cache
):
    member = world_a.member
    board = build_board(world_a)  # the member owns the person's objective and a key result
    Membership.objects.create(organization=world_b.org, user=member, role="member")
    beta_cycle = make_cycle(world_b.org)
    make_objective(world_b.org, beta_cycle, title="Theirs", owner_type="person", user=member)
    alpha, beta = api(world_a.admin), api(world_b.admin)
    people = str(member.pk)

    assert "Member alpha" in _dashboard(alpha, "alpha")
    assert _cascade(alpha, "alpha", board.cycle.pk)["owner_names"]["people"][people] == "Member alpha"
    assert _cascade(beta, "beta", beta_cycle.pk)["owner_names"]["people"][people] == "Member alpha"
    assert _cascade(beta, "beta", beta_cycle.pk)  # a second read comes from the cache
    versions = dict(Organization.objects.values_list("slug", "data_version"))

    client.force_login(member)
    r = client.post("/accounts/profile/", {"name": "Mai Tran", "language": ""})
    assert r.status_code == 302

    assert "Mai Tran" in _dashboard(alpha, "alpha") and "Member alpha" not in _dashboard(alpha, "alpha")
    assert _cascade(alpha, "alpha", board.cycle.pk)["owner_names"]["people"][people] == "Mai Tran"
    assert _cascade(beta, "beta", beta_cycle.pk)["owner_names"]["people"][people] == "Mai Tran"
    html = client.get("/o/alpha/").content.decode()
    assert "Member alpha" not in html
    after = dict(Organization.objects.values_list("slug", "data_version"))
    assert after["alpha"] == versions["alpha"] + 1 and after["beta"] == versions["beta"] + 1

    # Saving the profile again with nothing changed leaves the caches alone.
    client.post("/accounts/profile/", {"name": "Mai Tran", "language": ""})
    assert dict(Organization.objects.values_list("slug", "data_version")) == after


def test_an_operator_renaming_someone_in_the_admin_refreshes_their_organisations(world_a, api, client, documents_cache):
    from orgs.models import User

    board = build_board(world_a)
    reader = api(world_a.admin)
    assert _cascade(reader, "alpha", board.cycle.pk)["owner_names"]["people"][str(world_a.member.pk)] == "Member alpha"
    operator = User.objects.create_superuser("ops@example.test", "x-Very-long-pass-1")
    client.force_login(operator)
    member = world_a.member
    r = client.post(
        f"/admin/orgs/user/{member.pk}/change/",
        {"email": member.email, "name": "Mai Tran", "language": "", "is_active": "on"},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert _cascade(reader, "alpha", board.cycle.pk)["owner_names"]["people"][str(member.pk)] == "Mai Tran"
