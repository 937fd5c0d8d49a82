"""The conversation on the objective page: comment, reply under a check-in, react, edit, delete."""

from __future__ import annotations

from conversations import services
from conversations.models import Acknowledgement, Comment, Reaction


def _page(web, user, thread):
    return web(user).get(f"/o/alpha/okrs/{thread.objective.pk}/")


def test_comment_on_the_objective_page_and_see_it(world_a, web, thread):
    c = web(world_a.member)
    r = c.post(f"/o/alpha/okrs/{thread.objective.pk}/comments/", {"body": f"Nice @{thread.sam.email}"})
    comment = Comment.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"#comment-{comment.pk}")
    html = c.get(f"/o/alpha/okrs/{thread.objective.pk}/").content.decode()
    assert 'id="comment-' in html and '<span class="mention">@sam@alpha.test</span>' in html


def test_reply_under_a_check_in_shows_in_the_history(world_a, web, thread):
    c = web(world_a.member)
    c.post(f"/o/alpha/check-ins/{thread.check_in.pk}/comments/", {"body": "How did you sign them?"})
    html = c.get(f"/o/alpha/okrs/{thread.objective.pk}/").content.decode()
    thread_html = html.split(f'id="check-in-{thread.check_in.pk}"', 1)[1]
    assert "How did you sign them?" in thread_html.split("</li>", 2)[0] + thread_html.split("</li>", 2)[1]


def test_a_refused_comment_keeps_what_was_typed_and_says_why(world_a, world_b, web, thread):
    c = web(world_a.member)
    body = f"Please ask @{world_b.member.email} about it"
    r = c.post(f"/o/alpha/check-ins/{thread.check_in.pk}/comments/", {"body": body})
    html = r.content.decode()
    assert r.status_code == 400
    assert "member@beta.test is not a member of this organisation" in html
    assert "Please ask @member@beta.test about it</textarea>" in html
    too_long = "y" * 10_001
    r = c.post(f"/o/alpha/okrs/{thread.objective.pk}/comments/", {"body": too_long})
    assert r.status_code == 400 and "at most 10000 characters" in r.content.decode()
    assert not Comment.objects.exists()


def test_react_and_take_it_back(world_a, web, thread):
    c = web(world_a.member)
    url = f"/o/alpha/check-ins/{thread.check_in.pk}/react/"
    c.post(url, {"kind": "celebrate"})
    assert Reaction.objects.get().kind == "celebrate"
    html = c.get(f"/o/alpha/okrs/{thread.objective.pk}/").content.decode()
    assert 'class="reaction mine"' in html
    c.post(url, {"kind": "celebrate"})
    assert not Reaction.objects.exists()
    assert c.post(url, {"kind": "poop"}).status_code == 404


def test_only_the_author_sees_edit_and_may_edit(world_a, web, thread):
    comment = services.comment_create(org=world_a.org, actor=world_a.member, objective=thread.objective, body="v1")
    assert web(world_a.admin).get(f"/o/alpha/comments/{comment.pk}/edit/").status_code == 403
    c = web(world_a.member)
    r = c.post(f"/o/alpha/comments/{comment.pk}/edit/", {"body": "v2"})
    assert r.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "v2"
    assert "(edited)" in c.get(f"/o/alpha/okrs/{thread.objective.pk}/").content.decode()
    assert c.post(f"/o/alpha/comments/{comment.pk}/delete/").status_code == 302
    assert not Comment.objects.exists()


def test_manager_acknowledges_from_the_objective_page(world_a, web, thread):
    html = _page(web, world_a.manager, thread).content.decode()
    assert f"/o/alpha/check-ins/{thread.check_in.pk}/acknowledge/" in html
    assert f"/check-ins/{thread.check_in.pk}/acknowledge/" not in _page(web, world_a.member, thread).content.decode()
    web(world_a.manager).post(f"/o/alpha/check-ins/{thread.check_in.pk}/acknowledge/")
    assert Acknowledgement.objects.filter(user=world_a.manager).exists()
    assert "Acknowledged by Manager alpha" in _page(web, world_a.manager, thread).content.decode()


def test_viewers_see_the_conversation_without_the_form(world_a, web, thread):
    services.comment_create(org=world_a.org, actor=world_a.member, objective=thread.objective, body="visible")
    html = _page(web, world_a.viewer, thread).content.decode()
    assert "visible" in html and 'id="objective-comment-form"' not in html


def test_objective_page_queries_do_not_grow_with_the_conversation(world_a, web, thread, django_assert_max_num_queries):
    from objectives import services as okr

    c = web(world_a.member)
    with django_assert_max_num_queries(60) as small:
        assert _page(web, world_a.member, thread).status_code == 200
    for i in range(15):
        ci = okr.key_result_check_in(key_result=thread.kr, actor=thread.sam, value=3 + i * 0.1, confidence=7)
        comment = services.comment_create(
            org=world_a.org, actor=world_a.member, check_in=ci, body=f"@[{world_a.admin.pk}] note {i}"
        )
        services.comment_create(org=world_a.org, actor=world_a.admin, objective=thread.objective, body=f"top {i}")
        services.reaction_add(org=world_a.org, actor=world_a.manager, kind="heart", comment=comment)
        services.reaction_add(org=world_a.org, actor=world_a.manager, kind="eyes", check_in=ci)
    with django_assert_max_num_queries(60) as large:
        assert c.get(f"/o/alpha/okrs/{thread.objective.pk}/").status_code == 200
    assert len(large.captured_queries) <= len(small.captured_queries) + 2
