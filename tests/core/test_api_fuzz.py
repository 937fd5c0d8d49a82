"""Schema-driven fuzzing of the whole API: for every write endpoint and every
field of its request body, malformed values answer 4xx with the error format,
never 5xx. Endpoints added later are covered automatically (the schema is
generated from the code)."""

from __future__ import annotations

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.kpis.kpi_factories import make_kpi, record
from tests.objectives.okr_factories import make_cycle, make_objective

BAD_VALUES = [
    "",
    "x" * 5000,
    -1,
    10**30,
    1e308,
    "NaN",
    "Infinity",
    [],
    {},
    None,
    True,
    "2026-13-45",
    [1, "a", None],
    {"a": 1},
    "<script>alert(1)</script>",
    "1; DROP TABLE x",
]


def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


@pytest.fixture
def data(world_a):
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, krs=2, kr_owner=world_a.member)
    kpi = make_kpi(world_a.org, name="Leads")
    measurement = record(kpi, "2026-10-01", 10)
    from notifications.models import Notification
    from objectives.services import initiative_create, key_result_check_in

    kr = objective.key_results.first()
    check_in = key_result_check_in(key_result=kr, actor=world_a.member, value=3, confidence=5)
    initiative = initiative_create(actor=world_a.admin, objective=objective, title="Plan")
    note = Notification.objects.create(organization=world_a.org, recipient=world_a.admin, kind="kpi_due", message="m")
    return {
        "teams": world_a.team.pk,
        "members": world_a.member.pk,
        "cycles": cycle.pk,
        "objectives": objective.pk,
        "key-results": kr.pk,
        "check-ins": check_in.pk,
        "initiatives": initiative.pk,
        "kpis": kpi.pk,
        "measurements": measurement.pk,
        "notifications": note.pk,
    }


@pytest.mark.django_db
def test_no_malformed_body_or_query_gives_a_5xx(world_a, api, data):
    schema = _schema()
    client = api(world_a.admin)
    checked = 0
    for path, operations in schema["paths"].items():
        if "{slug}" not in path:
            continue
        resource = path.split("/")[5]
        url = path.replace("{slug}", "alpha")
        url = re.sub(r"\{[^}]+\}", str(data.get(resource, 1)), url)
        for method, op in operations.items():
            if method not in ("post", "patch", "put", "get"):
                continue
            if method == "get":
                for param in op.get("parameters", []):
                    if param.get("in") == "query":
                        for bad in ("abc", "-1", "9" * 30, "", "2026-13-45"):
                            r = client.get(url, {param["name"]: bad})
                            assert r.status_code < 500, f"GET {url}?{param['name']}={bad!r}: {r.status_code}"
                            checked += 1
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if not body:
                continue
            props = _resolve(schema, body).get("properties", {})
            for field in props:
                for bad in BAD_VALUES:
                    r = getattr(client, method)(url, {field: bad}, format="json")
                    assert r.status_code < 500, f"{method.upper()} {url} {field}={bad!r}: {r.status_code}"
                    if 400 <= r.status_code < 500 and r.status_code != 404:
                        assert "message" in r.json(), f"{method.upper()} {url}: error without a message"
                    checked += 1
            r = getattr(client, method)(url, "not json at all", content_type="application/json")
            assert 400 <= r.status_code < 500
    assert checked > 500
