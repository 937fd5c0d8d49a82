"""Check-ins by replying to the reminder e-mail: the reply address, the reading of the
reply in the person's language, the answer, and every reply that is refused."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.entries import parse_entries, reply_body
from integrations.inbound import from_message
from integrations.models import ReplyAddress
from integrations.services.mail import reminder_replies, reminder_text, token_new
from notifications.models import OutboxMessage
from objectives.models import CheckIn, KeyResult
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

URL = "/api/v1/integrations/email/inbound/"


def _address(desk, user=None) -> str:
    user = user or desk.world.member
    return reminder_replies(org=desk.world.org, user_ids=[user.pk])[user.pk].address


def _post(client, sender, to, text, **more):
    body = {"from": sender, "to": to, "text": text, **more}
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def _answers():
    return list(OutboxMessage.objects.filter(topic="check_in_reply").order_by("id"))


def test_vietnamese_reply_saves_three_check_ins_and_answers(client, desk):
    member = desk.world.member
    member.language = "vi"
    member.save(update_fields=["language"])
    to = _address(desk)
    text = "1: 45, 2: 4,5 (conf 7), 3: xong\n\nVào thứ Hai, okrkpi đã viết:\n> 1. Leads\n"
    response = _post(client, f"Member <{member.email.upper()}>", to, text, message_id="<a1@mail>")
    assert response.status_code == 200, response.content
    assert response.json() == {"saved": 3, "to_confirm": 0, "refused": 0, "replayed": False}
    values = {c.key_result_id: (c.value, c.confidence, c.origin) for c in CheckIn.objects.all()}
    leads, deals, launch = desk.krs
    assert values[leads.pk][0] == 45
    assert values[deals.pk] == (4.5, 7, "email")
    assert values[launch.pk][0] == 1.0
    provenance = CheckIn.objects.get(key_result=deals).provenance
    assert provenance["who"] == member.pk and provenance["raw"] == "2: 4,5 (conf 7)"
    (answer,) = _answers()
    assert answer.target == member.email
    assert "Đã lưu: 3 kết quả then chốt" in answer.payload["subject"]
    assert answer.payload["headers"]["Reply-To"] == to


def test_a_retried_delivery_saves_nothing_more(client, desk):
    to = _address(desk)
    for _attempt in range(2):
        response = _post(client, desk.world.member.email, to, "1: 40", message_id="<same@mail>")
        assert response.status_code == 200
    assert response.json()["replayed"] is True
    assert CheckIn.objects.count() == 1
    assert len(_answers()) == 1


def test_a_bad_line_is_named_in_the_answer_and_the_others_are_saved(client, desk):
    member = desk.world.member
    member.language = "vi"
    member.save(update_fields=["language"])
    response = _post(client, member.email, _address(desk), "1: 45\n2: abc\nCảm ơn nhé", message_id="<b@m>")
    assert response.json()["saved"] == 1 and response.json()["refused"] == 2
    text = _answers()[0].payload["text"]
    assert "“abc”" in text and "Deals" in text
    assert "Cảm ơn nhé" in text
    assert list(CheckIn.objects.values_list("value", flat=True)) == [45]


def test_an_unusual_value_is_asked_back_and_saved_when_confirmed(client, desk):
    to = _address(desk)
    first = _post(client, desk.world.member.email, to, "2: 45", message_id="<c1@m>")
    assert first.json()["to_confirm"] == 1 and not CheckIn.objects.exists()
    assert "2: 45 !" in _answers()[0].payload["text"]
    second = _post(client, desk.world.member.email, to, "2: 45 !", message_id="<c2@m>")
    assert second.json()["saved"] == 1
    assert KeyResult.objects.get(pk=desk.krs[1].pk).current_value == 45


def test_another_organisations_key_result_is_never_reachable_by_number(client, desk, world_b):
    cycle = make_cycle(world_b.org)
    theirs = make_kr(make_objective(world_b.org, cycle, status="active"), owner=world_b.member, target=100)
    # Even an address whose row named their key result (it never does) reaches nothing.
    row = ReplyAddress.objects.create(
        organization=desk.world.org,
        user=desk.world.member,
        token=token_new(),
        key_results=[theirs.pk],
        created_at=timezone.now(),
    )
    to = f"checkin+{row.token}@reply.okrkpi.test"
    response = _post(client, desk.world.member.email, to, "1: 50\n4: 50", message_id="<d@m>")
    assert response.json() == {"saved": 0, "to_confirm": 0, "refused": 2, "replayed": False}
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    "case",
    [
        "other_sender",
        "spf_fail",
        "someone_elses_reminder",
        "forged_token",
        "expired",
        "html_only",
        "too_big",
        "no_token",
    ],
)
def test_bad_mail_is_refused_with_nothing_saved(client, desk, case):
    world = desk.world
    sender, to, text, more = world.member.email, _address(desk), "1: 45", {}
    if case == "other_sender":
        sender = "attacker@evil.test"
    elif case == "spf_fail":  # the right address, forged: the inbound service's SPF verdict says so
        more = {"SPF": "fail"}
    elif case == "someone_elses_reminder":
        make_kr(desk.krs[0].objective, title="Manager's", owner=world.manager, target=100)
        to = _address(desk, world.manager)
    elif case == "forged_token":
        public = to.split("+")[1].split(".")[0]
        to = f"checkin+{public}.0123456789abcdef@reply.okrkpi.test"
    elif case == "expired":
        ReplyAddress.objects.update(created_at=timezone.now() - timedelta(days=15))
    elif case == "html_only":
        text, more = "", {"html": "<p>1: 45</p><script>alert(1)</script>"}
    elif case == "too_big":
        text = "1: 45\n" + "x" * (10 * 1024 * 1024)
    elif case == "no_token":
        to = "checkin@reply.okrkpi.test"
    response = _post(client, sender, to, text, **more)
    assert response.status_code in (400, 403, 413), response.content
    assert (response.status_code == 413) == (case == "too_big")
    assert not CheckIn.objects.exists()
    assert not _answers()


def test_the_webhook_takes_a_multipart_form_and_its_key(client, desk, settings):
    settings.INBOUND_EMAIL_SECRET = "s3cret"
    data = {"from": desk.world.member.email, "to": _address(desk), "body-plain": "1: 30"}
    assert client.post(URL, data=data).status_code == 403
    response = client.post(URL + "?key=s3cret", data=data)
    assert response.status_code == 200 and response.json()["saved"] == 1


def test_the_reminder_lists_the_key_results_numbered(desk):
    block = reminder_replies(org=desk.world.org, user_ids=[desk.world.member.pk])[desk.world.member.pk]
    text = reminder_text(block)
    assert "1. Leads" in text and "2. Deals" in text and "3. Launch" in text
    assert block.address.startswith("checkin+") and block.address.endswith("@reply.okrkpi.test")
    assert len(block.address.split("@")[0]) <= 64


def test_quoted_text_and_signatures_are_ignored():
    text = "1: 45\n-- \nNam\n1: 99\n"
    assert reply_body(text) == "1: 45"
    assert reply_body("2: 3\nOn Mon, 2 Nov 2026, okrkpi <no@x> wrote:\n> 2: 7") == "2: 3"
    assert reply_body("2: 3\n> 1: 9\nFrom: okrkpi <no@x>\n1: 1") == "2: 3"
    entries, stray = parse_entries("1: 45, 2: 4,5 (conf 7), 3: done - shipped")
    assert [(e.number, e.value, e.confidence, e.note) for e in entries] == [
        (1, "45", None, ""),
        (2, "4,5", 7, ""),
        (3, "done", None, "shipped"),
    ]
    assert entries[2].done is True and not stray


def test_the_imap_parser_reads_a_stored_message():
    raw = (
        b"From: Member <member@alpha.test>\r\nTo: checkin+abcdefghijkl.0123456789abcdef@reply.okrkpi.test\r\n"
        b"Message-ID: <m1@mail>\r\nSubject: Re: check in\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n'
        b"Content-Transfer-Encoding: 8bit\r\n\r\n2: 4,5\r\n\r\n"
        + "Vào thứ Hai, okrkpi đã viết:\r\n> 1. Leads\r\n".encode()
        + b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>2: 4,5</p><script>x</script>\r\n--b--\r\n"
    )
    mail = from_message(raw)
    assert mail.sender == "member@alpha.test"
    assert mail.recipients == ["checkin+abcdefghijkl.0123456789abcdef@reply.okrkpi.test"]
    assert mail.message_id == "<m1@mail>" and mail.has_html
    assert reply_body(mail.text) == "2: 4,5"


def test_the_weekly_reminder_carries_the_numbered_list_and_a_reply_address(desk, pin_now):
    from datetime import UTC, datetime

    from reminders.sweep import sweep_organization

    sweep_organization(org=desk.world.org, now=datetime(2026, 11, 2, 12, tzinfo=UTC), dispatch=False)
    mail = OutboxMessage.objects.get(topic="check_in_due", recipient=desk.world.member)
    assert "1. Leads" in mail.payload["text"] and "3. Launch" in mail.payload["text"]
    token = ReplyAddress.objects.get(user=desk.world.member).token
    assert mail.payload["headers"]["Reply-To"] == f"checkin+{token}@reply.okrkpi.test"


def test_a_stored_imap_message_is_saved_once(desk):
    from integrations.imap import handle_raw

    to = _address(desk)
    raw = (
        f"From: Member <{desk.world.member.email}>\r\nTo: {to}\r\nMessage-ID: <imap1@mail>\r\n"
        "Subject: Re: check in\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n1: 20 (conf 6)\r\n-- \r\nM\r\n"
    ).encode()
    assert handle_raw(raw) == "saved"
    assert handle_raw(raw) == "replayed"
    assert handle_raw(
        raw.replace(b"From: Member", b"From: X").replace(desk.world.member.email.encode(), b"x@evil.test")
    ).startswith("refused")
    assert [(c.value, c.confidence) for c in CheckIn.objects.all()] == [(20, 6)]


def test_expired_addresses_and_old_deliveries_are_pruned(client, desk):
    from integrations.services.links import integrations_prune

    to = _address(desk)
    _post(client, desk.world.member.email, to, "1: 30", message_id="<p@m>")
    assert integrations_prune() == 0
    assert integrations_prune(now=timezone.now() + timedelta(days=15)) == 2  # the address and the delivery
    assert CheckIn.objects.count() == 1


def test_the_page_rules_hold_a_closed_cycle_and_a_viewer_save_nothing(client, desk):
    from cycles.models import Cycle
    from orgs.models import Membership

    to = _address(desk)
    Cycle.objects.filter(pk=desk.krs[0].objective.cycle_id).update(status="closed")
    response = _post(client, desk.world.member.email, to, "1: 45", message_id="<closed@m>")
    assert response.json()["refused"] == 1
    assert "closed" in _answers()[0].payload["text"].lower()
    Cycle.objects.filter(pk=desk.krs[0].objective.cycle_id).update(status="active")
    Membership.objects.filter(organization=desk.world.org, user=desk.world.member).update(role="viewer")
    response = _post(client, desk.world.member.email, to, "1: 45", message_id="<viewer@m>")
    assert response.json()["refused"] == 1
    assert "may not check in" in _answers()[1].payload["text"]
    assert not CheckIn.objects.exists()


def test_vietnamese_words_and_confidence_are_read():
    entries, stray = parse_entries("1: 1.234,5 (tin cậy 8)\n3: xong\n2: chưa\nCảm ơn")
    assert [(e.number, e.value, e.confidence, e.done) for e in entries] == [
        (1, "1.234,5", 8, None),
        (3, "xong", None, True),
        (2, "chưa", None, False),
    ]
    assert stray == ["Cảm ơn"]
