"""``page`` and ``page_size`` are whole numbers: anything else is a 400 naming
the parameter, not silently the first page or the default size."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"page": "٣"}, "page"),  # an Arabic-Indic digit: isdigit() says yes, int() too; we say no
        ({"page_size": "ten"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": ""}, "page_size"),
    ],
)
def test_a_page_or_page_size_that_is_not_a_whole_number_is_a_400(world_a, api, query, field):
    r = api(world_a.viewer).get("/api/v1/orgs/alpha/teams/", query)
    assert r.status_code == 400
    assert field in r.json()["errors"] and r.json()["message"]


@pytest.mark.django_db
def test_good_pages_still_work(world_a, api):
    client = api(world_a.viewer)
    r = client.get("/api/v1/orgs/alpha/teams/", {"page": "1", "page_size": "2"})
    assert r.status_code == 200 and len(r.json()["results"]) == 2 and r.json()["count"] == 3
    assert client.get("/api/v1/orgs/alpha/teams/", {"page": "last", "page_size": "2"}).json()["results"]
    assert client.get("/api/v1/orgs/alpha/teams/", {"page_size": "100000"}).status_code == 200  # capped at 500
    assert client.get("/api/v1/orgs/alpha/teams/", {"page": "99"}).status_code == 404  # past the end
