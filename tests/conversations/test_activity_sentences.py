"""Reactions, comments and acknowledgements read as sentences on the Activity page, in the
reader's language: who did it, to whose check-in, with which emoji."""

from __future__ import annotations

import pytest

from conversations import services


@pytest.mark.parametrize(
    ("language", "reacted", "acknowledged", "commented"),
    [
        (
            "en",
            "reacted 🎉 to Sam Tran&#x27;s check-in",
            "acknowledged Sam Tran&#x27;s check-ins",
            "commented on Sam Tran&#x27;s check-in",
        ),
        (
            "vi",
            "đã thả 🎉 cho lần cập nhật của Sam Tran",
            "đã ghi nhận các lần cập nhật của Sam Tran",
            "đã bình luận về lần cập nhật của Sam Tran",
        ),
    ],
)
def test_conversation_entries_name_whose_check_in_it_was(
    world_a, thread, client, language, reacted, acknowledged, commented
):
    services.reaction_add(org=world_a.org, actor=world_a.member, kind="celebrate", check_in=thread.check_in)
    services.check_ins_acknowledge(org=world_a.org, actor=world_a.manager, check_ins=[thread.check_in])
    services.comment_create(org=world_a.org, actor=world_a.member, check_in=thread.check_in, body="Well done")
    world_a.admin.language = language
    world_a.admin.save(update_fields=["language"])
    client.force_login(world_a.admin)
    html = client.get("/o/alpha/activity/").content.decode()
    member, manager = world_a.member.display_name, world_a.manager.display_name
    assert f"<strong>{member}</strong> {reacted}" in html
    assert f"<strong>{manager}</strong> {acknowledged}" in html
    assert f"<strong>{member}</strong> {commented}" in html
    assert "reaction.add" not in html and "celebrate by" not in html
