"""The KPI owner sees a pull that disagreed with a typed value, or failed, on the KPI's page
and resolves it: take the pulled value, keep the typed one, or try again."""

from __future__ import annotations

from datetime import UTC, date, datetime

from datasources import services
from datasources.models import PullStatus, SourcePull
from kpis.models import Measurement
from tests.datasources.sources import csv_source, pulled_kpi
from tests.kpis.kpi_factories import record

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
OCTOBER = date(2026, 10, 1)


def test_the_owner_takes_the_pulled_value_or_keeps_the_typed_one(world_a, web, local_server, private_targets, pin_now):
    pin_now(NOW)
    source = csv_source(world_a.org, local_server.serve("/s.csv", "month,deals\n2026-10,12\n"))
    kpi = pulled_kpi(world_a.org, source, "deals", owner_type="person", user=world_a.member)
    record(kpi, "2026-10", 10, actor=world_a.member)
    assert services.pull_claimed(kpi_id=kpi.pk, period=OCTOBER, final=False) == PullStatus.CONFLICT
    pull = SourcePull.objects.get()
    client = web(world_a.member)
    page = client.get(f"/o/alpha/kpis/{kpi.pk}/").content.decode()
    assert f'id="pull-{pull.pk}"' in page and "the source says 12" in page
    assert client.post(f"/o/alpha/kpis/{kpi.pk}/pulls/{pull.pk}/resolve/", {"action": "take"}).status_code == 302
    m = Measurement.objects.get(kpi=kpi)
    assert (m.value, m.origin, m.provenance["who"]) == (12, "source", world_a.member.pk)
    pull.refresh_from_db()
    assert pull.status == PullStatus.RESOLVED
    assert f'id="pull-{pull.pk}"' not in client.get(f"/o/alpha/kpis/{kpi.pk}/").content.decode()


def test_a_failed_pull_is_tried_again_and_others_cannot_touch_it(
    world_a, world_b, web, client, local_server, private_targets, pin_now
):
    pin_now(NOW)
    url = local_server.serve("/s.csv", "month,deals\n2026-09,3\n")
    kpi = pulled_kpi(world_a.org, csv_source(world_a.org, url), "deals", owner_type="person", user=world_a.member)
    assert services.pull_claimed(kpi_id=kpi.pk, period=OCTOBER, final=True) == PullStatus.FAILED
    pull = SourcePull.objects.get()
    client.force_login(world_b.admin)
    assert client.post(f"/o/beta/kpis/{kpi.pk}/pulls/{pull.pk}/resolve/", {"action": "retry"}).status_code == 404
    client.force_login(world_a.viewer)
    assert client.post(f"/o/alpha/kpis/{kpi.pk}/pulls/{pull.pk}/resolve/", {"action": "retry"}).status_code == 403
    local_server.serve("/s.csv", "month,deals\n2026-10,7\n")  # the sheet is fixed
    member = web(world_a.member)
    assert member.post(f"/o/alpha/kpis/{kpi.pk}/pulls/{pull.pk}/resolve/", {"action": "retry"}).status_code == 302
    assert Measurement.objects.get(kpi=kpi).value == 7
    assert SourcePull.objects.get(kpi=kpi).status == PullStatus.RECORDED
