"""API resources comments/ and reactions/."""

from __future__ import annotations

from conversations import services
from conversations.models import Comment, Reaction


def test_create_list_edit_delete_a_comment(world_a, api, thread):
    c = api(world_a.member)
    r = c.post(
        "/api/v1/orgs/alpha/comments/",
        {"check_in": thread.check_in.pk, "body": f"Go @[{thread.sam.pk}]"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    data = r.json()
    assert data["check_in"] == thread.check_in.pk and data["objective"] == thread.objective.pk
    assert data["author"] == world_a.member.pk and data["edited_at"] is None
    listed = c.get(f"/api/v1/orgs/alpha/comments/?check_in={thread.check_in.pk}").json()
    assert listed["count"] == 1
    assert api(world_a.admin).patch(f"/api/v1/orgs/alpha/comments/{data['id']}/", {"body": "x"}).status_code == 403
    r = c.patch(f"/api/v1/orgs/alpha/comments/{data['id']}/", {"body": "edited"}, format="json")
    assert r.status_code == 200 and r.json()["body"] == "edited" and r.json()["edited_at"]
    assert c.delete(f"/api/v1/orgs/alpha/comments/{data['id']}/").status_code == 204
    assert not Comment.objects.exists()


def test_comment_bad_input_is_a_clear_400_and_saves_nothing(world_a, world_b, api, thread):
    from tests.objectives.okr_factories import make_cycle, make_objective

    other = make_objective(world_b.org, make_cycle(world_b.org), title="Theirs")
    c = api(world_a.member)
    cases = [
        ({"body": "no target"}, "exactly one"),
        ({"objective": thread.objective.pk, "check_in": thread.check_in.pk, "body": "both"}, "exactly one"),
        ({"objective": thread.objective.pk, "body": "x" * 10_001}, "10000"),
        ({"objective": thread.objective.pk, "body": f"hi @{world_b.admin.email}"}, "not a member"),
        ({"objective": other.pk, "body": "cross-tenant"}, "object does not exist"),
    ]
    for payload, needle in cases:
        r = c.post("/api/v1/orgs/alpha/comments/", payload, format="json")
        assert r.status_code == 400, payload
        assert needle in str(r.json()), r.json()
        assert set(r.json()) == {"message", "errors"}
    assert not Comment.objects.exists()


def test_a_member_of_another_organisation_cannot_comment_through_the_api(world_a, world_b, api, thread):
    r = api(world_b.admin).post(
        "/api/v1/orgs/alpha/comments/", {"objective": thread.objective.pk, "body": "hi"}, format="json"
    )
    assert r.status_code == 404
    r = api(world_b.admin).post(
        "/api/v1/orgs/beta/comments/", {"objective": thread.objective.pk, "body": "hi"}, format="json"
    )
    assert r.status_code == 400
    assert not Comment.objects.exists()


def test_reactions_api(world_a, api, thread):
    c = api(world_a.member)
    r = c.post("/api/v1/orgs/alpha/reactions/", {"check_in": thread.check_in.pk, "kind": "thumbs_up"}, format="json")
    assert r.status_code == 201 and r.json()["author"] == world_a.member.pk
    bad = c.post("/api/v1/orgs/alpha/reactions/", {"check_in": thread.check_in.pk, "kind": "poop"}, format="json")
    assert bad.status_code == 400 and "kind" in bad.json()["errors"]
    assert api(world_a.manager).delete(f"/api/v1/orgs/alpha/reactions/{r.json()['id']}/").status_code == 403
    assert c.delete(f"/api/v1/orgs/alpha/reactions/{r.json()['id']}/").status_code == 204
    assert not Reaction.objects.exists()
    assert (
        api(world_a.viewer)
        .post("/api/v1/orgs/alpha/reactions/", {"check_in": thread.check_in.pk, "kind": "heart"}, format="json")
        .status_code
        == 403
    )


def test_comment_list_query_count(world_a, api, thread, django_assert_max_num_queries):
    for i in range(40):
        services.comment_create(org=world_a.org, actor=world_a.member, objective=thread.objective, body=f"c{i}")
    # 9: the visibility filter reads the reader's teams once (orgs.visibility), whatever the count.
    with django_assert_max_num_queries(9):
        r = api(world_a.member).get("/api/v1/orgs/alpha/comments/?page_size=100")
    assert r.json()["count"] == 40
