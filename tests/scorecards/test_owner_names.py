"""One rule names an owner (``orgs.ownership.owner_name``): a person who gave no name is their
e-mail on the cascade, the alignment page, the dashboard and the objective page alike."""

from __future__ import annotations

import html
import re

import pytest

from orgs.models import User
from orgs.ownership import OwnerType, owner_name
from tests.scorecards.board import build_board

pytestmark = pytest.mark.django_db


def test_the_owner_rule_names_a_team_a_person_or_their_email_and_leaves_the_company_to_the_page():
    assert owner_name(OwnerType.TEAM, team_name="Growth") == "Growth"
    assert owner_name(OwnerType.PERSON, user_name="Mai Tran", user_email="mai@example.com") == "Mai Tran"
    assert owner_name(OwnerType.PERSON, user_name="", user_email="mai@example.com") == "mai@example.com"
    assert owner_name(OwnerType.COMPANY) is None


def _owner_badges(page: str) -> list[str]:
    return [html.unescape(m).strip() for m in re.findall(r'class="badge owner-person">(.*?)</span>', page, re.S)]


def test_a_person_without_a_name_is_their_email_on_every_page_that_names_owners(world_a, web, api):
    board = build_board(world_a)  # the member owns "Master automation", at risk
    User.objects.filter(pk=world_a.member.pk).update(name="")
    email = world_a.member.email
    client = web(world_a.admin)

    objective_page = client.get(f"/o/alpha/okrs/{board.person.pk}/").content.decode()
    assert re.search(r'class="badge owner-person">Person</span>\s*' + re.escape(email), objective_page)

    cascade_page = client.get(f"/o/alpha/okrs/cascade/?cycle={board.cycle.pk}").content.decode()
    assert email in _owner_badges(cascade_page)
    cascade_doc = api(world_a.admin).get(f"/api/v1/orgs/alpha/cascade/?cycle={board.cycle.pk}").json()
    assert cascade_doc["owner_names"]["people"][str(world_a.member.pk)] == email

    alignment_page = client.get(f"/o/alpha/okrs/{board.person.pk}/alignment/").content.decode()
    assert _owner_badges(alignment_page) == [email]

    dashboard_page = client.get("/o/alpha/").content.decode()
    attention = re.search(r"Master automation</a>(.*?)</li>", dashboard_page, re.S)
    assert attention is not None and f'<small class="muted">{email}</small>' in attention.group(1)
    dashboard_doc = api(world_a.admin).get("/api/v1/orgs/alpha/dashboard/").json()
    (row,) = [o for o in dashboard_doc["needs_attention"]["objectives"] if o["id"] == board.person.pk]
    assert row["owner_name"] == email
