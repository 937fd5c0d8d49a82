"""Mentions by name: "@Sam Tran" is stored as Sam's id and shown with Sam's current name, in
comments and in check-in notes (which notify too); the picker offers only this organisation's
members."""

from __future__ import annotations

from conversations import services
from notifications.models import Notification
from objectives import services as okr
from orgs.mentions import stored_form
from tests.factories import MembershipFactory, UserFactory


def test_a_name_after_at_is_stored_as_the_members_id(world_a, thread):
    assert stored_form(world_a.org, "Thanks @Sam Tran, and @sam again") == f"Thanks @[{thread.sam.pk}], and @sam again"
    assert stored_form(world_a.org, "@sam tran!") == f"@[{thread.sam.pk}]!"  # any case, up to punctuation
    assert stored_form(world_a.org, "@Sam Tranh") == "@Sam Tranh"  # not a name: left as typed
    assert stored_form(world_a.org, "mail sam@Sam Tran") == "mail sam@Sam Tran"  # inside a word: not a mention


def test_the_longest_name_wins_and_a_shared_name_is_left_as_typed(world_a, thread):
    sam_long = UserFactory(email="sam.long@alpha.test", name="Sam Tran Van")
    MembershipFactory(organization=world_a.org, user=sam_long, role="member")
    assert stored_form(world_a.org, "@Sam Tran Van hi") == f"@[{sam_long.pk}] hi"
    twin = UserFactory(email="twin@alpha.test", name="Sam Tran")
    MembershipFactory(organization=world_a.org, user=twin, role="member")
    assert stored_form(world_a.org, "@Sam Tran hi") == "@Sam Tran hi"


def test_a_member_of_another_organisation_is_not_found_by_name(world_a, world_b, thread):
    name = world_b.admin.name
    assert stored_form(world_a.org, f"@{name} hi") == f"@{name} hi"


def test_renaming_keeps_the_mention_and_shows_the_new_name(world_a, thread, web):
    comment = services.comment_create(
        org=world_a.org, actor=world_a.member, objective=thread.objective, body="Over to you @Sam Tran"
    )
    assert comment.body == f"Over to you @[{thread.sam.pk}]"
    assert Notification.objects.filter(recipient=thread.sam, kind="mention").exists()
    check_in = okr.key_result_check_in(
        key_result=thread.kr, actor=world_a.member, value=4, confidence=7, note="Signed with @Sam Tran"
    )
    assert check_in.note == f"Signed with @[{thread.sam.pk}]"
    thread.sam.name = "Samantha Tran"
    thread.sam.save(update_fields=["name"])
    page = web(world_a.member).get(f"/o/alpha/okrs/{thread.objective.pk}/").content.decode()
    assert "@Samantha Tran" in page and "Over to you" in page and "Signed with @Samantha Tran" in page
    assert f"@[{thread.sam.pk}]" not in page


def test_a_mention_in_a_check_in_note_notifies(world_a, thread, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        okr.key_result_check_in(
            key_result=thread.kr, actor=thread.sam, value=5, confidence=8, note="Half way, thanks @Member alpha"
        )
    note = Notification.objects.get(recipient=world_a.member, kind="mention")
    assert note.message == "Sam Tran mentioned you in a check-in: Half way, thanks @Member alpha"
    assert note.url.endswith(f"#check-in-{thread.kr.check_ins.latest('created_at').pk}")
    # The author mentioning themself is not told.
    okr.key_result_check_in(key_result=thread.kr, actor=thread.sam, value=6, confidence=8, note="Me: @Sam Tran")
    assert not Notification.objects.filter(recipient=thread.sam, kind="mention").exists()


def test_the_picker_offers_this_organisations_members_by_name(world_a, world_b, thread, web):
    client = web(world_a.member)
    people = client.get("/o/alpha/people/mention/?q=sa").json()["people"]
    assert [p["name"] for p in people] == ["Sam Tran"] and people[0]["id"] == thread.sam.pk
    assert [p["name"] for p in client.get("/o/alpha/people/mention/?q=tra").json()["people"]] == ["Sam Tran"]
    beta = client.get(f"/o/alpha/people/mention/?q={world_b.admin.name[:4]}").json()["people"]
    assert world_b.admin.pk not in [p["id"] for p in beta]
    assert client.get("/o/beta/people/mention/?q=a").status_code == 404
