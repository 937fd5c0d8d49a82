"""The inbound webhook: signed with an HMAC of the body; a bad or missing signature is a
401 and writes nothing; bad items are refused all together; a replay records nothing new."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from rest_framework.test import APIClient

from datasources import services
from datasources.services import sign, source_config
from kpis.models import Measurement
from tests.kpis.kpi_factories import make_kpi, record

SECRET = "a-long-enough-webhook-secret"


@pytest.fixture
def hook(world_a, pin_now):
    pin_now(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    source = services.source_create(
        org=world_a.org, actor=None, name="Billing push", kind="webhook", config={"secret": SECRET}
    )
    return source


def _post(source, payload, *, secret: str | None = SECRET, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {} if secret is None else {"HTTP_X_SIGNATURE": sign(secret, body)}
    return APIClient().post(
        f"/api/v1/integrations/sources/{source.token}/", body, content_type="application/json", **headers
    )


def test_a_signed_push_records_values_with_the_webhook_origin_and_a_replay_records_nothing_new(world_a, hook):
    kpi = make_kpi(world_a.org, name="MRR")
    payload = [
        {"kpi": kpi.pk, "period": "2026-10-01", "value": 1200},
        {"kpi": kpi.pk, "period": "2026-11", "value": 1300},
    ]
    r = _post(hook, payload)
    assert r.status_code == 200, r.json()
    assert r.json() == {"recorded": 2, "unchanged": 0, "conflicts": 0}
    rows = list(Measurement.objects.filter(kpi=kpi).order_by("period").values_list("period", "value", "origin"))
    assert rows == [(date(2026, 10, 1), 1200, "webhook"), (date(2026, 11, 1), 1300, "webhook")]
    assert Measurement.objects.get(kpi=kpi, period=date(2026, 10, 1)).provenance["source"] == hook.pk
    again = _post(hook, payload)
    assert again.json() == {"recorded": 0, "unchanged": 2, "conflicts": 0}
    assert Measurement.objects.filter(kpi=kpi).count() == 2


@pytest.mark.parametrize("signature", [None, "sha256=deadbeef", "wrong-secret"])
def test_a_bad_or_missing_signature_is_a_401_and_writes_nothing(world_a, hook, signature):
    kpi = make_kpi(world_a.org, name="MRR")
    payload = [{"kpi": kpi.pk, "period": "2026-10-01", "value": 1}]
    body = json.dumps(payload).encode()
    headers = {}
    if signature == "wrong-secret":
        headers["HTTP_X_SIGNATURE"] = sign("another-secret-entirely", body)
    elif signature:
        headers["HTTP_X_SIGNATURE"] = signature
    url = f"/api/v1/integrations/sources/{hook.token}/"
    r = APIClient().post(url, body, content_type="application/json", **headers)
    assert r.status_code == 401
    assert not Measurement.objects.exists()


def test_an_unknown_token_is_a_404(db):
    r = APIClient().post("/api/v1/integrations/sources/nope/", b"[]", content_type="application/json")
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"period": "2026-10-01", "value": 1}, "Unknown KPI"),
        ({"period": "2026-12-01", "value": 1}, "in the future"),
        ({"period": "2026-10-01", "value": "12"}, "finite number"),
    ],
)
def test_bad_items_are_refused_all_together(world_a, world_b, hook, item, message):
    kpi = make_kpi(world_a.org, name="MRR")
    good = {"kpi": kpi.pk, "period": "2026-10-01", "value": 5}
    r = _post(hook, [good, {"kpi": kpi.pk, **item}] if "Unknown" not in message else [good, item])
    assert r.status_code == 400 and message in json.dumps(r.json(), ensure_ascii=False)
    assert not Measurement.objects.exists()


def test_a_foreign_kpi_and_nan_are_refused(world_a, world_b, hook):
    foreign = make_kpi(world_b.org, name="Theirs")
    r = _post(hook, [{"kpi": foreign.pk, "period": "2026-10-01", "value": 5}])
    assert r.status_code == 400 and "Unknown KPI" in json.dumps(r.json())
    mine = make_kpi(world_a.org, name="MRR")
    raw = ('[{"kpi": ' + str(mine.pk) + ', "period": "2026-10-01", "value": NaN}]').encode()
    r = _post(hook, None, raw=raw)
    assert r.status_code == 400 and "NaN" in json.dumps(r.json())
    assert not Measurement.objects.exists()


def test_a_typed_value_wins_over_a_push(world_a, hook):
    kpi = make_kpi(world_a.org, name="MRR")
    record(kpi, "2026-10", 999, actor=world_a.member)
    r = _post(hook, [{"kpi": kpi.pk, "period": "2026-10-01", "value": 5}])
    assert r.json()["conflicts"] == 1
    assert Measurement.objects.get(kpi=kpi).value == 999


def test_the_endpoint_is_shown_and_the_generated_secret_is_stored_encrypted(world_a, api):
    r = api(world_a.admin).post("/api/v1/orgs/alpha/data-sources/", {"name": "Push", "kind": "webhook"}, format="json")
    assert r.status_code == 201
    from datasources.models import DataSource

    source = DataSource.objects.get(pk=r.json()["id"])
    assert r.json()["endpoint"].endswith(f"/api/v1/integrations/sources/{source.token}/")
    secret = source_config(source)["secret"]
    assert len(secret) >= 32 and r.json()["secret"] == secret  # shown once, to the admin who created it
    again = api(world_a.admin).get(f"/api/v1/orgs/alpha/data-sources/{source.pk}/")
    assert again.json()["secret"] is None and secret not in again.content.decode()
