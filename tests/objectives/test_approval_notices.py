"""The owner hears of the reviewer's decision (DESIGN §3): approved, or sent back with the
comment; a team's objective tells whoever submitted it; nobody is told of their own decision;
once per decision, after the commit, through the service, the pages and the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from notifications.models import Notification, NotificationKind, NotificationSettings, OutboxMessage
from objectives import services
from objectives.models import ApprovalStatus, Objective, ObjectiveReview
from objectives.review_models import ReviewAction
from objectives.services import approval_notices, approvals
from tests.objectives.okr_factories import make_cycle, make_objective

pytestmark = pytest.mark.django_db
API = "/api/v1/orgs/alpha/"


@pytest.fixture
def cycle(world_a):
    return make_cycle(world_a.org, status="planning", approvals_required=True)


@pytest.fixture
def mine(world_a, cycle) -> Objective:
    objective = make_objective(
        world_a.org, cycle, title="Win the north", owner_type="person", user=world_a.member, krs=2
    )
    services.objective_submit(objective=objective, actor=world_a.member)
    return objective


def _decisions(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=NotificationKind.APPROVAL_DECIDED))


def test_the_owner_is_told_once_after_the_approval_commits(world_a, mine, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.objective_approve(objective=mine, actor=world_a.manager)
        assert _decisions(world_a.member) == []  # not before the commit
    assert len(callbacks) >= 1
    (note,) = _decisions(world_a.member)
    assert note.message == "Manager alpha approved “Win the north”."
    assert note.url == f"/o/alpha/okrs/{mine.pk}/"
    assert (note.subject_type, note.subject_id) == ("objective", mine.pk)
    assert _decisions(world_a.manager) == []
    mail = OutboxMessage.objects.get(recipient=world_a.member, topic=NotificationKind.APPROVAL_DECIDED)
    assert "approved “Win the north”" in mail.payload["subject"]


def test_changes_requested_carries_the_comment(world_a, mine, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.objective_request_changes(objective=mine, actor=world_a.manager, comment="Halve the target")
    (note,) = _decisions(world_a.member)
    assert note.message == "Manager alpha asked for changes to “Win the north”: Halve the target"


def test_a_refused_or_rolled_back_decision_tells_nobody(world_a, mine, monkeypatch, django_capture_on_commit_callbacks):
    """The manager's decision would tell the owner (the last step shows it): rolled back after
    the state moved, rolled back by the caller after the decision returned, or refused, it
    tells nobody, and the objective still waits for review."""

    def activity_down(**kwargs):
        raise RuntimeError("the activity log is down")

    monkeypatch.setattr(approvals, "activity_record", activity_down)  # fails after the state move
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        services.objective_approve(objective=mine, actor=world_a.manager)
    monkeypatch.undo()
    # A caller's later write fails: the whole request rolls back.
    with django_capture_on_commit_callbacks(execute=True) as later, pytest.raises(RuntimeError), transaction.atomic():
        services.objective_approve(objective=mine, actor=world_a.manager, comment="Fine")
        raise RuntimeError("a later write failed")
    assert callbacks == [] and later == []
    assert _decisions(world_a.member) == []
    mine.refresh_from_db()
    assert mine.approval_status == ApprovalStatus.IN_REVIEW
    assert not ObjectiveReview.objects.filter(objective=mine, action=ReviewAction.APPROVED).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.objective_approve(objective=mine, actor=world_a.manager)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.objective_approve(objective=mine, actor=world_a.manager)  # refused: already approved
    assert [n.message for n in _decisions(world_a.member)] == ["Manager alpha approved “Win the north”."]


def test_a_failure_to_notify_after_the_commit_keeps_the_approval(
    world_a, mine, web, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    """The decision has committed when the notice is sent: a failure then is logged, not raised,
    so neither the service's caller nor the page gets an error."""

    def mail_down(**kwargs):
        raise RuntimeError("notifications are down")

    monkeypatch.setattr(approval_notices, "notification_send", mail_down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = web(world_a.manager).post(f"/o/alpha/okrs/{mine.pk}/approve/", {"comment": ""})
    assert r.status_code == 302 and len(callbacks) >= 1
    mine.refresh_from_db()
    assert mine.approval_status == ApprovalStatus.APPROVED
    assert _decisions(world_a.member) == []
    assert any("notifications are down" in str(rec.args) for rec in caplog.records if rec.levelname == "ERROR")


def test_a_team_objective_tells_whoever_submitted_it(world_a, cycle, django_capture_on_commit_callbacks):
    objective = make_objective(world_a.org, cycle, title="Team goal", owner_type="team", team=world_a.team, krs=2)
    services.objective_submit(objective=objective, actor=world_a.member)
    with django_capture_on_commit_callbacks(execute=True):
        services.objective_approve(objective=objective, actor=world_a.admin, comment="Nice")
    (note,) = _decisions(world_a.member)
    assert note.message == "Admin alpha approved “Team goal”: Nice"


def test_an_admin_approving_their_own_objective_is_not_told(world_a, cycle, django_capture_on_commit_callbacks):
    objective = make_objective(world_a.org, cycle, title="Admin's", owner_type="person", user=world_a.admin, krs=2)
    services.objective_submit(objective=objective, actor=world_a.admin)
    with django_capture_on_commit_callbacks(execute=True):
        services.objective_approve(objective=objective, actor=world_a.admin)
    assert not Notification.objects.filter(kind=NotificationKind.APPROVAL_DECIDED).exists()


def test_the_owner_reads_it_in_their_language_and_after_their_choice(world_a, mine, django_capture_on_commit_callbacks):
    world_a.member.language = "vi"
    world_a.member.save(update_fields=["language"])
    NotificationSettings.objects.create(
        organization=world_a.org, user=world_a.member, deliveries={NotificationKind.APPROVAL_DECIDED: "daily"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.objective_request_changes(objective=mine, actor=world_a.manager, comment="Rõ hơn")
    (note,) = _decisions(world_a.member)
    assert note.message == "Manager alpha đã yêu cầu chỉnh sửa “Win the north”: Rõ hơn"
    assert note.mail_due == "daily"
    assert not OutboxMessage.objects.filter(recipient=world_a.member, topic=NotificationKind.APPROVAL_DECIDED).exists()


def test_the_approve_and_request_changes_buttons_notify_the_owner(
    world_a, cycle, mine, web, django_capture_on_commit_callbacks
):
    client = web(world_a.manager)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/o/alpha/okrs/{mine.pk}/request-changes/", {"comment": "More detail"})
    assert r.status_code == 302
    services.objective_submit(objective=mine, actor=world_a.member)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/o/alpha/okrs/{mine.pk}/approve/", {"comment": ""})
    assert r.status_code == 302
    messages = [n.message for n in _decisions(world_a.member)]
    assert messages == [
        "Manager alpha approved “Win the north”.",
        "Manager alpha asked for changes to “Win the north”: More detail",
    ]
    page = web(world_a.member).get("/o/alpha/notifications/").content.decode()
    assert "asked for changes to “Win the north”: More detail" in page


def test_the_api_actions_notify_the_owner(world_a, mine, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = api(world_a.manager).post(f"{API}objectives/{mine.pk}/request-changes/", {"comment": "Why?"}, format="json")
    assert r.status_code == 200, r.content
    services.objective_submit(objective=mine, actor=world_a.member)
    with django_capture_on_commit_callbacks(execute=True):
        r = api(world_a.manager).post(f"{API}objectives/{mine.pk}/approve/", {}, format="json")
    assert r.status_code == 200, r.content
    assert len(_decisions(world_a.member)) == 2
    listed = api(world_a.member).get(f"{API}notifications/").json()["results"]
    assert [n["kind"] for n in listed] == ["approval_decided", "approval_decided"]
    assert listed[1]["message"].endswith(": Why?") and listed[0]["url"] == f"/o/alpha/okrs/{mine.pk}/"
