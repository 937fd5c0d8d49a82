"""Two copies of one chat delivery at the same moment (a platform's retry racing the
first): one saves, the other waits for it and saves nothing. PostgreSQL only."""

from __future__ import annotations

import pytest

from integrations.models import ChatLink, InboundDelivery
from integrations.services.chat import ChatSubmission, chat_check_in
from integrations.services.links import installation_save
from objectives.models import CheckIn
from tests.concurrency import at_once, require_shared_database


@pytest.mark.django_db(transaction=True)
def test_a_delivery_racing_its_retry_saves_once(desk):
    require_shared_database()
    world = desk.world
    installation = installation_save(
        org=world.org, actor=None, platform="slack", external_id="T-RACE", signing_secret="s", bot_token="b"
    )
    ChatLink.objects.create(
        organization=world.org, platform="slack", external_team="T-RACE", external_user="U1", user=world.member
    )
    values = {kr.pk: ("5" if kr.kind != "milestone" else "done", "7") for kr in desk.krs}

    def deliver(_i: int):
        return chat_check_in(
            ChatSubmission(installation=installation, external_user="U1", key="trg-race", values=values)
        )

    answers = at_once(deliver, n=2)
    assert sorted(a.replayed for a in answers) == [False, True]
    assert CheckIn.objects.count() == 3
    assert InboundDelivery.objects.count() == 1
    assert [len(a.outcome.saved) for a in answers] == [3, 3]
