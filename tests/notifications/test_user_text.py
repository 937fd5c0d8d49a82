"""User text never makes a 500: a newline in a comment, a name or an organisation's
name is folded out of every mail header, and a mail failure never fails the request;
a channel created through the API without a name gets a sensible one."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from notifications.models import Channel, Notification


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("where", ["comment", "display name", "organisation name"])
def test_a_newline_in_user_text_mails_the_mention_with_a_clean_subject(world_a, api, thread, where):
    body = f"Great week @[{thread.sam.pk}]"
    if where == "comment":
        body = f"Great week @[{thread.sam.pk}]\nBcc: victim@example.com\nSee you"
    elif where == "display name":
        world_a.member.name = "Member\r\nBcc: victim@example.com"
        world_a.member.save(update_fields=["name"])
    else:
        world_a.org.name = "Alpha\nBcc: victim@example.com"
        world_a.org.save(update_fields=["name"])
    mail.outbox.clear()
    r = api(world_a.member).post(
        "/api/v1/orgs/alpha/comments/", {"objective": thread.objective.pk, "body": body}, format="json"
    )
    assert r.status_code == 201, r.content[:300]
    assert Notification.objects.filter(recipient=thread.sam, kind="mention").exists()
    [sent] = [m for m in mail.outbox if m.to == [thread.sam.email]]
    message = sent.message()
    assert "\n" not in sent.subject and "\r" not in sent.subject
    assert message["Bcc"] is None and "victim@example.com" not in (message["To"] or "")
    assert "Great week" in sent.subject


class BrokenBackend(BaseEmailBackend):
    """A mail library that fails in a way no one planned for."""

    def send_messages(self, messages):
        raise RuntimeError("the mail library broke")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", ["refused", "broken"])
def test_a_mail_failure_never_fails_the_comment(world_a, api, thread, settings, backend):
    if backend == "refused":
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nothing listens
        settings.EMAIL_USE_TLS = False
    else:
        settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    r = api(world_a.member).post(
        "/api/v1/orgs/alpha/comments/",
        {"objective": thread.objective.pk, "body": f"Hi @[{thread.sam.pk}]"},
        format="json",
    )
    assert r.status_code == 201, r.content[:300]
    assert Notification.objects.filter(recipient=thread.sam, kind="mention").exists()


def test_a_channel_created_through_the_api_without_a_name_gets_its_kind_as_name(world_a, api, private_ok, hook):
    r = api(world_a.admin).post(
        "/api/v1/orgs/alpha/channels/", {"kind": "slack", "url": hook.url, "events": ["comment"]}, format="json"
    )
    assert r.status_code == 201, r.content[:300]
    assert r.json()["name"] == "Slack incoming webhook"
    assert Channel.objects.get().name == "Slack incoming webhook"
    r = api(world_a.admin).post(
        "/api/v1/orgs/alpha/channels/", {"kind": "teams", "name": "  ", "url": hook.url}, format="json"
    )
    assert r.status_code == 201, r.content[:300]
    assert r.json()["name"] == "Microsoft Teams webhook"
