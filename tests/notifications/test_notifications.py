from __future__ import annotations

import pytest

from notifications.models import Notification


@pytest.fixture
def notes(world_a, world_b):
    mine = [
        Notification.objects.create(
            organization=world_a.org,
            recipient=world_a.member,
            kind="kpi_due",
            message=f"Reminder {i}",
            url="/o/alpha/okrs/",
        )
        for i in range(3)
    ]
    Notification.objects.create(
        organization=world_a.org, recipient=world_a.manager, kind="kpi_due", message="Not yours", url="/o/alpha/"
    )
    Notification.objects.create(
        organization=world_b.org, recipient=world_a.member, kind="kpi_due", message="Other org", url="/o/beta/"
    )
    return mine


def test_bell_shows_the_unread_count(world_a, notes, client):
    client.force_login(world_a.member)
    html = client.get("/o/alpha/").content.decode()
    assert 'class="bell-count">3<' in html


def test_list_page_and_open_marks_read_and_redirects(world_a, notes, client):
    client.force_login(world_a.member)
    html = client.get("/o/alpha/notifications/").content.decode()
    assert "Reminder 0" in html and "Not yours" not in html and "Other org" not in html
    r = client.post(f"/o/alpha/notifications/{notes[0].pk}/open/")
    assert r.status_code == 302 and r["Location"] == "/o/alpha/okrs/"
    notes[0].refresh_from_db()
    assert notes[0].read_at is not None
    client.post("/o/alpha/notifications/read-all/")
    assert not Notification.objects.filter(
        recipient=world_a.member, organization=world_a.org, read_at__isnull=True
    ).exists()


def test_someone_elses_notification_is_a_404(world_a, notes, client):
    other = Notification.objects.get(message="Not yours")
    client.force_login(world_a.member)
    assert client.post(f"/o/alpha/notifications/{other.pk}/open/").status_code == 404


def test_notifications_api_lists_only_mine_and_marks_read(world_a, notes, api):
    client = api(world_a.member)
    body = client.get("/api/v1/orgs/alpha/notifications/").json()
    assert body["count"] == 3
    assert set(body["results"][0]) == {"id", "kind", "message", "url", "created_at", "read_at"}
    r = client.patch(
        f"/api/v1/orgs/alpha/notifications/{notes[1].pk}/", {"read_at": "2026-11-27T10:00:00Z"}, format="json"
    )
    assert r.status_code == 200 and r.json()["read_at"].startswith("2026-11-27")
    assert client.get("/api/v1/orgs/alpha/notifications/?unread=1").json()["count"] == 2
    other = Notification.objects.get(message="Not yours")
    assert (
        client.patch(f"/api/v1/orgs/alpha/notifications/{other.pk}/", {"read_at": None}, format="json").status_code
        == 404
    )
    assert client.post("/api/v1/orgs/alpha/notifications/", {"message": "x"}, format="json").status_code == 405
    r = client.patch(f"/api/v1/orgs/alpha/notifications/{notes[1].pk}/", {"read_at": "soon"}, format="json")
    assert r.status_code == 400 and "read_at" in r.json()["errors"]


def test_viewer_can_mark_their_own_notifications_read(world_a, api):
    n = Notification.objects.create(organization=world_a.org, recipient=world_a.viewer, kind="kpi_due", message="m")
    r = api(world_a.viewer).patch(f"/api/v1/orgs/alpha/notifications/{n.pk}/", {}, format="json")
    assert r.status_code == 200 and r.json()["read_at"] is not None
