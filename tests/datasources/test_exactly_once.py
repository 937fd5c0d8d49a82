"""Scheduled pulls record a value exactly once (DESIGN §5): two sweeps at the same time,
a retried task, a worker killed mid-pull. The source answers a different number each time
it is asked, so a second pull would show as a correction in the activity log."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from activity.models import ActivityEntry
from datasources import services
from datasources.models import PullStatus, SourcePull
from datasources.services import pulls
from datasources.sweep import due_pulls
from kpis.models import Measurement
from tests.concurrency import at_once, require_shared_database
from tests.datasources.sources import csv_source, pulled_kpi

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # October has ended
OCTOBER = date(2026, 10, 1)


def _sweep_and_pull() -> list[str]:
    """What a beat sweep and the workers do: find what is due, pull each."""
    return [services.pull_claimed(kpi_id=k, period=p, final=False) for k, p in due_pulls(now=NOW).pulls]


def _entries(kpi) -> list[str]:
    return sorted(
        ActivityEntry.objects.filter(target_id=kpi.pk, verb__startswith="measurement.").values_list("verb", flat=True)
    )


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_record_one_value(world_a, local_server, private_targets):
    require_shared_database()
    # The sheet answers slowly, so the second sweep arrives while the first holds its claim.
    url = local_server.serve("/crm.csv", "month,deals\n2026-10,{n}00\n", counting=True, delay=0.5)
    kpi = pulled_kpi(world_a.org, csv_source(world_a.org, url), "deals")
    results = at_once(lambda _i: _sweep_and_pull(), n=2)
    assert sorted(sum(results, [])) in (["claimed", "recorded"], ["recorded"])
    assert list(Measurement.objects.filter(kpi=kpi).values_list("period", "value", "origin")) == [
        (OCTOBER, 100.0, "source")
    ]
    assert _entries(kpi) == ["measurement.recorded"]
    assert len(local_server.hits) == 1
    assert SourcePull.objects.get(kpi=kpi).status == PullStatus.RECORDED


@pytest.mark.django_db(transaction=True)
def test_a_retried_task_records_nothing_twice_and_a_killed_pull_is_retried(
    world_a, local_server, private_targets, monkeypatch
):
    require_shared_database()
    url = local_server.serve("/crm.csv", "month,deals\n2026-10,{n}00\n", counting=True)
    kpi = pulled_kpi(world_a.org, csv_source(world_a.org, url), "deals")
    # A worker dies after the fetch, before the commit: nothing stays, not even the claim.
    real = pulls.record_pulled

    def dies(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(pulls, "record_pulled", dies)
    with pytest.raises(SystemExit):
        services.pull_claimed(kpi_id=kpi.pk, period=OCTOBER, final=False)
    assert not SourcePull.objects.exists() and not Measurement.objects.exists()
    monkeypatch.setattr(pulls, "record_pulled", real)
    # The retry records it; the same task delivered again (acks_late) finds the claim.
    assert services.pull_claimed(kpi_id=kpi.pk, period=OCTOBER, final=False) == PullStatus.RECORDED
    assert services.pull_claimed(kpi_id=kpi.pk, period=OCTOBER, final=False) == "claimed"
    assert due_pulls(now=NOW).pulls == []
    assert list(Measurement.objects.filter(kpi=kpi).values_list("value", flat=True)) == [200.0]
    assert _entries(kpi) == ["measurement.recorded"]


def test_a_failing_source_lands_in_the_owners_to_do_once_and_pauses_after_repeated_failures(
    world_a, api, local_server, private_targets, pin_now
):
    pin_now(NOW)
    url = local_server.serve("/crm.csv", "month,deals\n2026-09,1\n")  # no row for October
    source = csv_source(world_a.org, url)
    kpi = pulled_kpi(world_a.org, source, "deals", owner_type="person", user=world_a.member)
    for _attempt in range(2):  # the last retry, then the same task delivered again
        services.pull_claimed(kpi_id=kpi.pk, period=OCTOBER, final=True)
    body = api(world_a.member).get("/api/v1/orgs/alpha/inbox/").json()
    rows = body["results"] if isinstance(body, dict) else body
    items = [i for i in rows if i["kind"] == "data_source"]
    assert len(items) == 1 and items[0]["title"] == f"The value of “{kpi.name}” could not be pulled"
    other = api(world_a.viewer).get("/api/v1/orgs/alpha/inbox/").json()
    assert "data_source" not in str(other)
    assert not Measurement.objects.exists()
    source.refresh_from_db()
    assert source.active and source.failures == 1 and "No row of the CSV" in source.last_error
    for _attempt in range(4):
        services.kpi_pull_now(kpi=kpi, actor=None)
    source.refresh_from_db()
    assert not source.active and source.paused_at is not None
    from notifications.models import Notification

    assert Notification.objects.filter(recipient=world_a.admin, message__contains="was paused").count() == 1


def test_the_sweep_finds_the_period_that_ended_in_the_organisations_time_zone(world_a, world_b):
    hcm = datetime(2026, 10, 31, 17, 30, tzinfo=UTC)  # already 1 November in Ho Chi Minh City
    world_a.org.timezone = "Asia/Ho_Chi_Minh"
    world_a.org.save(update_fields=["timezone"])
    a = pulled_kpi(world_a.org, csv_source(world_a.org, "https://sheets.example.com/a.csv"), "deals")
    b = pulled_kpi(world_b.org, csv_source(world_b.org, "https://sheets.example.com/b.csv"), "deals")
    push = services.source_create(org=world_a.org, actor=None, name="Push", kind="webhook", config={})
    pulled_kpi(world_a.org, push, "", name="Pushed")  # pushed, never pulled
    assert sorted(due_pulls(now=hcm).pulls) == sorted([(a.pk, OCTOBER), (b.pk, date(2026, 9, 1))])
