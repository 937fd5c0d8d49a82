"""Recording a KPI value through the API is safe to retry with an ``Idempotency-Key``:
the retry gets the first answer, and no second correction lands in the activity log."""

from __future__ import annotations

import pytest
from rest_framework.response import Response

from activity.models import ActivityEntry
from kpis.models import Measurement
from tests.kpis.kpi_factories import make_kpi

URL = "/api/v1/orgs/alpha/measurements/"


@pytest.fixture
def kpi(world_a):
    return make_kpi(world_a.org, owner_type="team", team=world_a.team)


def test_a_retried_measurement_returns_the_first_answer_and_logs_once(world_a, api, kpi, monkeypatch):
    client = api(world_a.manager)
    client.raise_request_exception = False
    lost: list[int] = []
    rendered = Response.rendered_content

    def render_or_fail(self):
        if not lost:
            lost.append(1)
            raise ConnectionResetError("the answer was lost on its way back")
        return rendered.fget(self)

    monkeypatch.setattr(Response, "rendered_content", property(render_or_fail))
    body = {"kpi": kpi.pk, "period": "2026-10-01", "value": 80, "note": "October"}
    assert client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="m-1").status_code == 500
    retry = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="m-1")
    # The first answer (201, created), not "200, corrected by the retry".
    assert retry.status_code == 201 and retry["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == Measurement.objects.get().pk and retry.json()["value"] == 80
    assert ActivityEntry.objects.filter(verb__startswith="measurement.").count() == 1
    # The same key for another value is refused; the first value stands.
    other = client.post(URL, body | {"value": 81}, format="json", HTTP_IDEMPOTENCY_KEY="m-1")
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["errors"]
    assert Measurement.objects.get().value == 80
