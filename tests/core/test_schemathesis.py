"""Schemathesis over the whole API, in-process and authenticated as an admin:
for every operation of the OpenAPI schema, generated requests (valid ones and
invalid ones) never get a 5xx, and every answer is documented: its status code,
its content type and its body match the schema. An endpoint added later is
fuzzed without editing this file (the schema is generated from the code).

Bounded: ``EXAMPLES`` per operation and mode, about a minute in all."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from scorecards.services import scorecard_create
from tests.core.test_api_fuzz import data  # noqa: F401  (the fixture: one object of each resource)

EXAMPLES = 12
MISSING_ID = 987654321
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

SCHEMA = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
SCHEMA.app = get_wsgi_application()
OPERATIONS = sorted(op.ok().label for op in SCHEMA.get_all_operations())


def _negatable(label: str) -> bool:
    """Invalid requests need something to make invalid: a body or a query parameter
    (the path's slug and id are fixed to real objects)."""
    operation = SCHEMA.find_operation_by_label(label)
    return bool(len(operation.body) or len(operation.query))


CASES = [(label, GenerationMode.POSITIVE) for label in OPERATIONS] + [
    (label, GenerationMode.NEGATIVE) for label in OPERATIONS if _negatable(label)
]


@pytest.fixture
def keep_the_test_connection():
    """Requests go through the real WSGI application, whose end-of-request hook closes a
    database connection that is inside a transaction (the test's). Django's test client
    unhooks it for the same reason; so do we, for the length of the test."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_the_whole_api_is_fuzzed():
    assert len(OPERATIONS) >= 40
    assert "POST /api/v1/auth/token/" in OPERATIONS and "PATCH /api/v1/orgs/{slug}/objectives/{id}/" in OPERATIONS


@pytest.mark.django_db
@pytest.mark.parametrize(("label", "mode"), CASES, ids=[f"{label}-{mode.value}" for label, mode in CASES])
def test_every_operation_answers_as_documented_and_never_5xx(
    label,
    mode,
    world_a,
    data,  # noqa: F811
    keep_the_test_connection,
):
    operation = SCHEMA.find_operation_by_label(label)
    resource = operation.path.split("/")[5] if "{slug}" in operation.path else None
    path_parameters = {"slug": "alpha"}
    if "{id}" in operation.path:
        # A real row where the fixture has one; a resource added later without one is
        # still fuzzed, against an id that does not exist (its documented 404).
        ids = {**data, "scorecards": scorecard_create(org=world_a.org, actor=None, name="Company scorecard").pk}
        path_parameters["id"] = ids.get(resource, MISSING_ID)
    token = Token.objects.get_or_create(user=world_a.admin)[0].key

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def fuzz(case):  # type: ignore[no-untyped-def]
        response = case.call(headers={"Authorization": f"Token {token}", "Host": "localhost"})
        case.validate_response(response, checks=CHECKS)

    fuzz()
