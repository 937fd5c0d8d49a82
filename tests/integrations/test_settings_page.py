"""The chat settings page: admins connect and disconnect workspaces; everyone sees and
unlinks their own chat accounts, and nobody else's."""

from __future__ import annotations

from integrations.models import ChatInstallation, ChatLink
from integrations.services.links import installation_save, secret_of


def _url(world) -> str:
    return f"/o/{world.org.slug}/settings/chat/"


def test_an_admin_connects_slack_and_a_missing_secret_is_named(client, world_a):
    client.force_login(world_a.admin)
    bad = client.post(_url(world_a), {"action": "connect", "platform": "slack", "external_id": "T1"})
    assert bad.status_code == 400 and "signing secret" in bad.content.decode()
    assert 'value="T1"' in bad.content.decode()  # what was typed is kept
    ok = client.post(
        _url(world_a),
        {
            "action": "connect",
            "platform": "slack",
            "external_id": "T1",
            "signing_secret": "s",
            "bot_token": "xoxb-secret-123",
        },
    )
    assert ok.status_code == 302
    row = ChatInstallation.objects.get()
    assert secret_of(row.signing_secret) == "s" and "xoxb-secret-123" not in client.get(_url(world_a)).content.decode()


def test_a_member_cannot_connect_or_disconnect(client, world_a):
    row = installation_save(org=world_a.org, actor=None, platform="teams", external_id="tenant")
    client.force_login(world_a.member)
    assert client.get(_url(world_a)).status_code == 200
    assert client.post(_url(world_a), {"action": "connect", "platform": "teams", "external_id": "x"}).status_code == 403
    assert client.post(_url(world_a), {"action": "disconnect", "installation": row.pk}).status_code == 403
    assert ChatInstallation.objects.count() == 1


def test_people_unlink_their_own_accounts_only(client, world_a, world_b):
    mine = ChatLink.objects.create(
        organization=world_a.org, platform="slack", external_team="T", external_user="U1", user=world_a.member
    )
    theirs = ChatLink.objects.create(
        organization=world_a.org, platform="slack", external_team="T", external_user="U2", user=world_a.manager
    )
    elsewhere = installation_save(org=world_b.org, actor=None, platform="teams", external_id="tb")
    client.force_login(world_a.member)
    assert client.post(_url(world_a), {"action": "unlink", "link": theirs.pk}).status_code == 404
    assert client.post(_url(world_a), {"action": "unlink", "link": mine.pk}).status_code == 302
    assert list(ChatLink.objects.values_list("external_user", flat=True)) == ["U2"]
    client.force_login(world_a.admin)
    assert client.post(_url(world_a), {"action": "disconnect", "installation": elsewhere.pk}).status_code == 404
    assert ChatInstallation.objects.filter(pk=elsewhere.pk).exists()
