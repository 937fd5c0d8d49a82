"""Comments, mentions, reactions and acknowledgements through the services."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from activity.models import ActivityEntry
from conversations import services
from conversations.models import Acknowledgement, Comment, Mention, Reaction
from notifications.models import Notification


def test_comment_on_a_check_in_mentions_and_notifies(world_a, thread, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.comment_create(
            org=world_a.org,
            actor=world_a.member,
            check_in=thread.check_in,
            body=f"Great start @{world_a.manager.email} and @[{world_a.admin.pk}]!",
        )
    assert comment.objective == thread.objective and comment.check_in == thread.check_in
    assert set(Mention.objects.values_list("user_id", flat=True)) == {world_a.manager.pk, world_a.admin.pk}
    kinds = dict(Notification.objects.values_list("recipient_id", "kind"))
    assert kinds[world_a.manager.pk] == "mention" and kinds[world_a.admin.pk] == "mention"
    assert (
        Notification.objects.get(recipient=world_a.admin).message
        == "Member alpha mentioned you: Great start @manager@alpha.test and @Admin alpha!"
    )
    assert kinds[thread.sam.pk] == "comment"  # the check-in's author hears of it too (daily digest by default)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world_a.manager.email, world_a.admin.email])
    entry = ActivityEntry.objects.get(verb="comment.create")
    assert entry.actor == world_a.member and entry.target_id == comment.pk


def test_mention_of_a_non_member_refuses_the_whole_comment(world_a, world_b, thread):
    with pytest.raises(ValidationError) as exc:
        services.comment_create(
            org=world_a.org, actor=world_a.member, objective=thread.objective, body=f"Ask @{world_b.admin.email}"
        )
    assert "admin@beta.test is not a member" in str(exc.value)
    assert not Comment.objects.exists() and not Mention.objects.exists() and not Notification.objects.exists()


def test_an_email_in_the_text_is_not_a_mention(world_a, thread):
    c = services.comment_create(
        org=world_a.org, actor=world_a.member, objective=thread.objective, body="Write to bob@example.com please"
    )
    assert not c.mentions.exists()


def test_comment_over_ten_thousand_characters_is_refused(world_a, thread):
    with pytest.raises(ValidationError) as exc:
        services.comment_create(org=world_a.org, actor=world_a.member, objective=thread.objective, body="x" * 10_001)
    assert "at most 10000 characters" in str(exc.value)
    services.comment_create(org=world_a.org, actor=world_a.member, objective=thread.objective, body="x" * 10_000)


def test_a_member_of_another_organisation_cannot_comment(world_a, world_b, thread, outsider):
    for actor in (world_b.admin, outsider):
        with pytest.raises(PermissionDenied):
            services.comment_create(org=world_a.org, actor=actor, objective=thread.objective, body="hello")
    # Nor can anyone comment in one organisation on another's objective.
    with pytest.raises(PermissionDenied):
        services.comment_create(org=world_b.org, actor=world_b.admin, objective=thread.objective, body="hello")
    assert not Comment.objects.exists()


def test_viewers_read_but_do_not_comment(world_a, thread):
    with pytest.raises(PermissionDenied):
        services.comment_create(org=world_a.org, actor=world_a.viewer, objective=thread.objective, body="hi")


def test_only_the_author_edits_or_deletes(world_a, thread):
    c = services.comment_create(org=world_a.org, actor=world_a.member, objective=thread.objective, body="first")
    with pytest.raises(PermissionDenied):
        services.comment_update(comment=c, actor=world_a.admin, body="hijack")
    with pytest.raises(PermissionDenied):
        services.comment_delete(comment=c, actor=world_a.admin)
    services.comment_update(comment=c, actor=world_a.member, body=f"second @{world_a.manager.email}")
    c.refresh_from_db()
    assert c.body.startswith("second") and c.edited_at is not None
    assert Mention.objects.filter(comment=c, user=world_a.manager).exists()  # newly mentioned: notified
    services.comment_delete(comment=c, actor=world_a.member)
    assert not Comment.objects.exists()
    assert list(ActivityEntry.objects.filter(target_type="conversations.comment").values_list("verb", flat=True)) == [
        "comment.delete",
        "comment.update",
        "comment.create",
    ]


def test_reactions_come_from_a_fixed_set_once_per_person(world_a, thread):
    with pytest.raises(ValidationError):
        services.reaction_add(org=world_a.org, actor=world_a.member, kind="poop", check_in=thread.check_in)
    r1 = services.reaction_add(org=world_a.org, actor=world_a.member, kind="celebrate", check_in=thread.check_in)
    r2 = services.reaction_add(org=world_a.org, actor=world_a.member, kind="celebrate", check_in=thread.check_in)
    assert r1.pk == r2.pk and Reaction.objects.count() == 1
    assert (
        services.reaction_toggle(org=world_a.org, actor=world_a.member, kind="celebrate", check_in=thread.check_in)
        is None
    )
    assert not Reaction.objects.exists()


def test_reaction_across_organisations_is_refused(world_a, world_b, thread):
    with pytest.raises(PermissionDenied):
        services.reaction_add(org=world_b.org, actor=world_b.member, kind="heart", check_in=thread.check_in)


def test_manager_acknowledges_a_direct_reports_check_in(world_a, thread):
    with pytest.raises(PermissionDenied):
        services.check_ins_acknowledge(org=world_a.org, actor=world_a.member, check_ins=[thread.check_in])
    assert services.check_ins_acknowledge(org=world_a.org, actor=world_a.manager, check_ins=[thread.check_in]) == 1
    assert services.check_ins_acknowledge(org=world_a.org, actor=world_a.manager, check_ins=[thread.check_in]) == 0
    assert Acknowledgement.objects.get().user == world_a.manager
