"""The role matrix (DESIGN §3): who may do what, for every write endpoint and
form, asserted from one data file, ``role_matrix.txt``.

Each row is tried by each subject inside a savepoint that is rolled back, so
the rows are independent. Allowed means a 2xx (or, for a page, a redirect)
and a change to the organisation's rows; refused means a 403 and no change; ``4`` means a
400 with a message and no change (approving one's own objective).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from conversations import services as talk
from cycles.models import Cycle
from datasources.services import sources as source_services
from notifications.models import Channel, Notification
from objectives import services as okr_services
from orgs import services as org_services
from orgs.models import Membership, Role, User
from rituals import services as ritual_services
from scorecards import services as scorecard_services
from tests.factories import MembershipFactory, TeamFactory, UserFactory, place
from tests.kpis.kpi_factories import make_kpi, record
from tests.objectives.okr_factories import make_cycle, make_objective
from tests.orgs.tenant_matrix import fingerprint

pytestmark = pytest.mark.django_db

SUBJECTS = ("admin", "manager", "other_mgr", "owner", "non_owner", "viewer")
MATRIX = Path(__file__).with_name("role_matrix.txt")
KNOWN_BUG = (
    "A manager can PATCH their team's members/managers to pull in people from teams "
    "they do not manage (fixed on another branch)."
)


@dataclass(frozen=True)
class Row:
    line: int
    method: str
    path: str
    body: str
    expected: dict[str, bool]
    known_bugs: frozenset[str]
    bad_input: frozenset[str] = frozenset()  # answered 400, nothing changed

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} {self.body}"


def _rows() -> list[Row]:
    rows = []
    for n, line in enumerate(MATRIX.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        method, path, body, *answers = line.split()
        assert len(answers) == len(SUBJECTS), f"role_matrix.txt:{n}: {len(answers)} answers"
        assert all(a.rstrip("!") in ("y", "n", "4") for a in answers), f"role_matrix.txt:{n}"
        rows.append(
            Row(
                n,
                method,
                path,
                body,
                {s: a.rstrip("!") == "y" for s, a in zip(SUBJECTS, answers, strict=True)},
                frozenset(s for s, a in zip(SUBJECTS, answers, strict=True) if a.endswith("!")),
                frozenset(s for s, a in zip(SUBJECTS, answers, strict=True) if a == "4"),
            )
        )
    return rows


def _params():
    """One test per row; a subject whose answer is a known bug gets its own, strict-xfail test."""
    for row in _rows():
        normal = tuple(s for s in SUBJECTS if s not in row.known_bugs)
        yield pytest.param(row, normal, id=row.id)
        for subject in sorted(row.known_bugs):
            yield pytest.param(
                row, (subject,), id=f"{row.id} [{subject}]", marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUG)
            )


# --- the organisation -------------------------------------------------------------------------


def _world(w) -> tuple[dict[str, User], dict[str, Any]]:
    org = w.org
    other_mgr = UserFactory(email="other-manager@alpha.test", name="Other manager")
    MembershipFactory(organization=org, user=other_mgr, role=Role.MANAGER)
    place(w.other_team, other_mgr, manager=True)
    non_owner = UserFactory(email="non-owner@alpha.test", name="Non-owner")
    MembershipFactory(organization=org, user=non_owner, role=Role.MEMBER)
    place(w.team, non_owner)
    stranger = UserFactory(email="stranger@alpha.test", name="Stranger")
    MembershipFactory(organization=org, user=stranger, role=Role.MEMBER)
    place(w.other_team, stranger)
    users = {
        "admin": w.admin,
        "manager": w.manager,
        "other_mgr": other_mgr,
        "owner": w.member,
        "non_owner": non_owner,
        "viewer": w.viewer,
        "stranger": stranger,
    }
    cycle = make_cycle(org)
    empty = make_cycle(org, name="Q1 2027", start=date(2027, 1, 1), status="planning")
    closed = make_cycle(org, name="Q2 2026", start=date(2026, 4, 1), status="planning")
    Cycle.objects.filter(pk=closed.pk).update(status="closed")
    spare = make_cycle(org, name="Sales Q4 2026")
    company = make_objective(org, cycle, title="Grow", krs=2, kr_owner=w.admin)
    person = make_objective(org, cycle, title="Learn", owner_type="person", user=w.member, krs=2, parent=company)
    team_obj = make_objective(org, cycle, title="Win", owner_type="team", team=w.team, krs=2, kr_owner=w.member)
    other_obj = make_objective(org, cycle, title="Save", owner_type="team", team=w.other_team, krs=2, kr_owner=stranger)
    stranger_obj = make_objective(org, cycle, title="Travel", owner_type="person", user=stranger)
    kr_person = person.key_results.first()
    ini = okr_services.initiative_create(
        actor=w.admin,
        objective=person,
        key_result=kr_person,
        title="Read",
        owner=w.member,
        status="planned",
        due_date=None,
    )
    kpi_person = make_kpi(org, name="Calls", owner_type="person", user=w.member)
    kpi_team = make_kpi(org, name="Leads", owner_type="team", team=w.team)
    kpi_company = make_kpi(org, name="Revenue")
    invitation, _ = org_services.invitation_create(
        org=org, actor=w.admin, email="invitee@alpha.test", role="member", base_url="http://testserver/"
    )
    kpi_demos = make_kpi(org, name="Demos", owner_type="team", team=w.team)
    kpi_visits = make_kpi(org, name="Visits", owner_type="team", team=w.team)
    sc_company = scorecard_services.scorecard_create(org=org, actor=None, name="Board")
    sc_team = scorecard_services.scorecard_create(org=org, actor=None, name="Marketing", owner_team=w.team)
    for kpi in (kpi_team, kpi_demos):
        scorecard_services.scorecard_item_add(scorecard=sc_team, actor=None, kpi=kpi)
    link = scorecard_services.strategy_link_create(scorecard=sc_team, actor=None, source=kpi_demos, target=kpi_team)
    objects: dict[str, Any] = {
        "sc:company": sc_company.pk,
        "sc:team": sc_team.pk,
        "link:team": link.pk,
        "kpi:visits": kpi_visits.pk,
        "kpi:demos": kpi_demos.pk,
        "obj:person": person.pk,
        "obj:team": team_obj.pk,
        "obj:other_team": other_obj.pk,
        "obj:company": company.pk,
        "obj:stranger": stranger_obj.pk,
        "kr:person": kr_person.pk,
        "kr:company": company.key_results.first().pk,
        "ini:person": ini.pk,
        "kpi:person": kpi_person.pk,
        "kpi:team": kpi_team.pk,
        "kpi:company": kpi_company.pk,
        "meas:person": record(kpi_person, "2026-10-01", 5).pk,
        "team": w.team.pk,
        "sub_team": w.sub_team.pk,
        "other_team": w.other_team.pk,
        "empty_team": TeamFactory(organization=org, name="Archive").pk,
        "cycle": cycle.pk,
        "cycle:empty": empty.pk,
        "cycle:closed": closed.pk,
        "cycle:spare": spare.pk,
        "invitation": invitation.pk,
    }
    objects["contrib:person"] = okr_services.contribution_create(child=person, actor=None, parent=team_obj).pk
    checkin = okr_services.key_result_check_in(key_result=kr_person, actor=w.member, value=2, confidence=6)
    comment = talk.comment_create(org=org, actor=w.member, check_in=checkin, body="First")
    objects["checkin:person"] = checkin.pk
    ritual_services.coach_dismiss(
        org=org,
        actor=w.admin,
        code="objective_not_aligned",
        object_type="objective",
        object_id=team_obj.pk,
        reason="A team of its own",
    )
    objects["comment:owner"] = comment.pk
    objects["reaction:owner"] = talk.reaction_add(org=org, actor=w.member, kind="eyes", check_in=checkin).pk
    objects["channel"] = Channel.objects.create(
        organization=org, kind="slack", name="#okr", url="https://93.184.216.34/hook", events=["comment"]
    ).pk
    objects["data_source"] = source_services.source_create(
        org=org, actor=None, name="Finance sheet", kind="webhook", config={}
    ).pk
    objects.update(_review_world(w, org))
    for name, user in users.items():
        objects[f"user:{name}"] = user.pk
        objects[f"member:{name}"] = user.pk
        Notification.objects.create(organization=org, recipient=user, kind="kpi_due", message="Due")
    return users, objects


def _review_world(w, org) -> dict[str, int]:
    """A cycle that asks for approval: the owner's draft, and objectives in review owned by
    the owner, by `team` and by the company."""
    review = make_cycle(org, name="Reviewed Q4 2026")
    Cycle.objects.filter(pk=review.pk).update(approvals_required=True)
    review.refresh_from_db()
    person = {"owner_type": "person", "user": w.member, "krs": 2}
    found = {"obj:review_draft": make_objective(org, review, title="Plan", **person).pk}
    for key, kwargs in (
        ("obj:review_person", person),
        ("obj:review_team", {"owner_type": "team", "team": w.team, "krs": 2, "kr_owner": w.member}),
        ("obj:review_company", {"krs": 2, "kr_owner": w.admin}),
    ):
        objective = make_objective(org, review, title="Review", **kwargs)
        okr_services.objective_submit(objective=objective, actor=w.admin)
        found[key] = objective.pk
    return found


def _body(name: str, o: dict[str, Any]) -> dict[str, Any]:
    """The named request body, with ids of A's rows filled in."""
    person = {"owner_type": "person", "owner_user": o["user:owner"]}
    kpi = {"direction": "higher_is_better", "target": 100, "amber_threshold": 80}
    kpi.update(frequency="monthly", perspective="customer")
    kpi_form = {**kpi, "name": "Visits", "tracking_since": "2024-01-01", "active": "on", **person, "owner_team": ""}
    objective_form = {"title": "Renamed", "cycle": o["cycle"], "weight": 1, "parent": ""}
    team_people = [o["user:manager"], o["user:owner"], o["user:non_owner"]]
    bodies: dict[str, dict[str, Any]] = {
        "-": {},
        "title": {"title": "Renamed"},
        "comment": {"comment": "Sharper targets, please"},
        "name": {"name": "Renamed"},
        "value": {"value": 7},
        "read": {"read_at": "2026-11-30T10:00:00Z"},
        "obj_person": {"cycle": o["cycle"], "title": "New", **person},
        "obj_team": {"cycle": o["cycle"], "title": "New", "owner_type": "team", "owner_team": o["team"]},
        "obj_company": {"cycle": o["cycle"], "title": "New", "owner_type": "company"},
        "kr_person": {"objective": o["obj:person"], "title": "New", "owner": o["user:owner"], "target_value": 10},
        "kr_company": {"objective": o["obj:company"], "title": "New", "owner": o["user:admin"], "target_value": 10},
        "checkin_person": {"key_result": o["kr:person"], "value": 4, "confidence": 6},
        "checkin_company": {"key_result": o["kr:company"], "value": 4, "confidence": 6},
        "ini_person": {"objective": o["obj:person"], "title": "New", "owner": o["user:owner"]},
        "contrib_person": {"child": o["obj:person"], "parent": o["obj:other_team"], "weight": 2},
        "weight": {"weight": 3},
        "form_contrib": {"target": f"o:{o['obj:other_team']}", "weight": "2"},
        "kpi_person": {**kpi, "name": "Visits", **person},
        "kpi_team": {**kpi, "name": "Visits", "owner_type": "team", "owner_team": o["team"]},
        "kpi_company": {**kpi, "name": "Visits", "owner_type": "company"},
        "meas_person": {"kpi": o["kpi:person"], "period": "2026-11-01", "value": 3},
        "meas_team": {"kpi": o["kpi:team"], "period": "2026-11-01", "value": 3},
        "team_under_team": {"name": "SEO", "parent": o["team"]},
        "team_top": {"name": "Legal"},
        "members_keep": {"members": team_people},
        "members_stranger": {"members": [*team_people, o["user:stranger"]]},
        "managers_stranger": {"managers": [o["user:manager"], o["user:stranger"]]},
        "member_new": {"email": "new@alpha.test", "name": "New", "role": "member"},
        "role_viewer": {"role": "viewer"},
        "teams_sub": {"teams": [o["team"], o["sub_team"]]},
        "teams_team": {"teams": [o["other_team"], o["team"]]},
        "cycle_new": {"name": "Q2 2027", "start_date": "2027-04-01", "end_date": "2027-06-30"},
        "form_cycle_new": {"name": "Q2 2027", "kind": "quarter", "start_date": "2027-04-01", "end_date": "2027-06-30"},
        "to_active": {"status": "active"},
        "close_api": {"closing_message": "Bye"},
        "close_form": {"closing_message": "Bye"},
        "dismiss_obj_person": _dismissal("objective", o["obj:person"]),
        "dismiss_obj_company": _dismissal("objective", o["obj:company"]),
        "dismiss_kr_person": _dismissal("key_result", o["kr:person"], code="key_result_no_unit"),
        "dismiss_kpi_team": _dismissal("kpi", o["kpi:team"], code="kpi_not_relevant"),
        "dismiss_owner_team": _dismissal("owner", f"team:{o['team']}", code="owner_too_many_objectives"),
        "undismiss_obj_team": {"code": "objective_not_aligned", "object_type": "objective", "object_id": o["obj:team"]},
        "sc_company": {"name": "New"},
        "sc_team": {"name": "New", "owner_team": o["team"], "items": [{"kpi": o["kpi:team"], "weight": 2}]},
        "link_team": {"scorecard": o["sc:team"], "source_kpi": o["kpi:team"], "target_kpi": o["kpi:demos"]},
        "form_sc_team": {"name": "New", "owner": f"team:{o['team']}", "frequency": "monthly", "from_library": "on"},
        "form_sc_company": {"owner": "company"},
        "form_sc_settings": {"name": "Renamed", "frequency": "quarterly", "green_at": 95, "amber_at": 60}
        | {f"weight_{p}": 2 for p in ("financial", "customer", "internal_process", "learning_growth")},
        "form_sc_add": {"kpi": o["kpi:visits"], "perspective": "", "weight": "1"},
        "form_sc_remove": {"action": f"remove:{o['kpi:demos']}"},
        "form_link": {"source": f"kpi:{o['kpi:team']}", "target": f"kpi:{o['kpi:demos']}"},
        "comment_obj": {"objective": o["obj:person"], "body": "Nice"},
        "comment_checkin": {"check_in": o["checkin:person"], "body": "Nice"},
        "body": {"body": "Edited"},
        "react_checkin": {"check_in": o["checkin:person"], "kind": "celebrate"},
        "channel_new": {"kind": "teams", "name": "Teams", "url": "https://93.184.216.34/x", "events": ["wins"]},
        "form_comment": {"body": "Nice"},
        "form_react": {"kind": "celebrate"},
        "source_new": {"name": "CRM", "kind": "webhook", "config": {}},
        "form_channel": {"kind": "slack", "name": "#wins", "url": "https://93.184.216.34/x", "events": ["wins"]},
        # HTML forms
        "form_obj_person": {**objective_form, **person, "owner_team": ""},
        "form_obj_company": {**objective_form, "owner_type": "company", "owner_team": "", "owner_user": ""},
        "cancel": {"status": "cancelled"},
        "close": {"status": "closed"},
        # The quarter's ritual: forcing a close past unacknowledged retrospectives is an admin's.
        "close_force": {"force": "1", "closing_message": "Bye"},
        "close_force_api": {"force": True, "closing_message": "Bye"},
        "grade_zero": {"grade": 0, "note": "Nothing counted"},
        "form_grade": {"grade": "0", "grade_note": "Nothing counted"},
        "retro": {"went_well": "Good"},
        "form_retro": {"went_well": "Good", "went_badly": "", "learned": ""},
        "carry_person": {"objectives": [o["obj:person"]], "cycle": o["cycle:empty"]},
        "form_kr": {"title": "New", "owner": o["user:owner"], "kind": "number", "start_value": 0, "target_value": 9}
        | {"weight": 1, "kpi": ""},
        "form_ini": {"title": "New", "key_result": "", "owner": o["user:owner"], "status": "in_progress"},
        "form_checkin": {"value": 4, "confidence": 6, "note": ""},
        "form_kpi_person": kpi_form,
        "form_meas": {"period": "2026-11-01", "value": 3},
        "form_team_under": {"name": "SEO", "parent": o["team"]},
        "form_team_keep": {"name": "Brand", "parent": "", "managers": [o["user:manager"]], "members": team_people},
        "form_team_other": {
            "name": "Money",
            "parent": "",
            "managers": [o["user:other_mgr"]],
            "members": [o["user:other_mgr"], o["user:stranger"]],
        },
        "form_invite": {"email": "new@alpha.test", "name": "New", "role": "member", "team": ""},
        "form_member": {"name": "Renamed", "role": "viewer", "teams": [o["team"]]},
        "form_cycle": {"name": "Renamed", "kind": "quarter", "start_date": "2026-10-01", "end_date": "2026-12-30"},
        "form_settings": {
            "name": "Renamed",
            "timezone": "UTC",
            "language": "en",
            "fiscal_year_start_month": 1,
            "children_contribute": "on",
            "reminder_hour": 9,
            "reminder_grace_days": 3,
        },
    }
    return bodies[name]


def _dismissal(object_type: str, object_id: Any, *, code: str = "objective_not_aligned") -> dict[str, Any]:
    return {"code": code, "object_type": object_type, "object_id": str(object_id), "reason": "Does not apply"}


def _url(path: str, o: dict[str, Any], subject: str) -> str:
    def fill(m: re.Match) -> str:
        key = m.group(1)
        return str(o[f"notification:{subject}"] if key == "notification:self" else o[key])

    path = re.sub(r"\{([^}]+)\}", fill, path)
    prefix = "/api/v1/orgs/alpha/" if path.startswith("api/") else "/o/alpha/"
    return prefix + path.split("/", 1)[1]


@pytest.mark.parametrize(("row", "subjects"), list(_params()))
def test_role_matrix(row: Row, subjects: tuple[str, ...], world_a, client, api):
    users, objects = _world(world_a)
    for notification in Notification.objects.filter(organization=world_a.org):
        objects[f"notification:{_subject_of(users, notification.recipient_id)}"] = notification.pk
    body = _body(row.body, objects)
    wrong = []
    for subject in subjects:
        url = _url(row.path, objects, subject)
        before = fingerprint(world_a.org)
        with transaction.atomic():
            if row.path.startswith("api/"):
                response = getattr(api(users[subject]), row.method.lower())(url, body, format="json")
                done = 200 <= response.status_code < 300
            else:
                client.force_login(users[subject])
                response = client.post(url, body)
                done = response.status_code == 302 and not response["Location"].startswith("/accounts/login/")
            changed = fingerprint(world_a.org) != before
            transaction.set_rollback(True)
        if row.expected[subject]:
            if not (done and changed):
                detail = response.content[:300] if response.status_code != 302 else response["Location"]
                wrong.append(f"{subject}: expected allowed, got {response.status_code} (changed={changed}) {detail!r}")
        elif subject in row.bad_input:
            if response.status_code != 400 or changed or not response.content:
                wrong.append(f"{subject}: expected 400, got {response.status_code} (changed={changed})")
        elif response.status_code != 403 or changed:
            wrong.append(f"{subject}: expected 403, got {response.status_code} (changed={changed})")
    assert not wrong, f"role_matrix.txt:{row.line} {row.id}\n" + "\n".join(wrong)


def _subject_of(users: dict[str, User], user_id: int) -> str:
    return next(name for name, user in users.items() if user.pk == user_id)


def test_the_matrix_covers_every_write_form_and_operation():
    """Every API route that accepts writes and every HTML route under /o/<slug>/ that
    takes a POST and names an object appears in the data file at least once."""
    from tests.orgs.tenant_matrix import tenant_routes

    rows = _rows()
    covered = {(r.method, re.sub(r"\{[^}]+\}", "{id}", r.path)) for r in rows}
    missing = []
    for route in tenant_routes():
        path = re.sub(r"\(\?P<\w+>[^)]*\)|<(?:\w+:)?\w+>", "{id}", route.key.split("<slug:slug>/", 1)[1])
        path = ("api/" if route.is_api else "o/") + path.replace("$", "")
        actions = getattr(route.callback, "actions", None)
        if actions is not None:
            allowed = set(route.callback.cls.http_method_names)
            methods = {m.upper() for m in actions if m in allowed and m not in ("get", "put", "head", "options")}
        else:
            continue  # HTML pages are listed below explicitly
        for method in methods:
            if (method, path) not in covered:
                missing.append(f"{method} {path}")
    assert not missing, "write operations with no row in role_matrix.txt:\n" + "\n".join(sorted(missing))


# --- managers' reach over people, through team membership changes ---------------------------------


def test_managers_reach_follows_team_membership(world_a, api):
    """A manager reaches the people in the teams they manage (and below), and stops
    reaching them when they leave; the new team's manager takes over."""
    users, o = _world(world_a)
    admin, manager, other_mgr = api(users["admin"]), api(users["manager"]), api(users["other_mgr"])
    objective = f"/api/v1/orgs/alpha/objectives/{o['obj:person']}/"
    kpi = f"/api/v1/orgs/alpha/kpis/{o['kpi:person']}/"

    def reach(client) -> tuple[int, int]:
        return (
            client.patch(objective, {"title": "x"}, format="json").status_code,
            client.patch(kpi, {"name": "x"}, format="json").status_code,
        )

    assert reach(manager) == (200, 200)
    assert reach(other_mgr) == (403, 403)
    # Moved to the sub-team: still below the manager's team.
    member = f"/api/v1/orgs/alpha/members/{o['user:owner']}/"
    assert admin.patch(member, {"teams": [o["sub_team"]]}, format="json").status_code == 200
    assert reach(manager) == (200, 200)
    # Moved to the other team: the other manager takes over.
    assert admin.patch(member, {"teams": [o["other_team"]]}, format="json").status_code == 200
    assert reach(manager) == (403, 403)
    assert reach(other_mgr) == (200, 200)
    # In both teams: both managers reach them.
    assert admin.patch(member, {"teams": [o["team"], o["other_team"]]}, format="json").status_code == 200
    assert reach(manager) == (200, 200)
    assert reach(other_mgr) == (200, 200)
    # In no team: only the admin (and the person themself).
    assert admin.patch(member, {"teams": []}, format="json").status_code == 200
    assert reach(manager) == (403, 403)
    assert reach(other_mgr) == (403, 403)
    assert reach(api(users["owner"])) == (200, 200)


def test_managers_reach_ends_with_their_management(world_a, api):
    """Losing the manager flag on the team (through the team's managers) ends the reach;
    a manager cannot change their own team's people to reach someone new."""
    users, o = _world(world_a)
    admin, manager = api(users["admin"]), api(users["manager"])
    objective = f"/api/v1/orgs/alpha/objectives/{o['obj:person']}/"
    team = f"/api/v1/orgs/alpha/teams/{o['team']}/"
    assert manager.patch(objective, {"title": "x"}, format="json").status_code == 200
    r = admin.patch(team, {"managers": [o["user:other_mgr"]]}, format="json")
    assert r.status_code == 200, r.content
    assert manager.patch(objective, {"title": "y"}, format="json").status_code == 403
    assert manager.patch(team, {"name": "Mine"}, format="json").status_code == 403
    assert Membership.objects.get(organization=world_a.org, user=users["manager"]).role == Role.MANAGER


def test_manager_cannot_pull_a_stranger_into_their_team_to_reach_them(world_a, api):
    """Managers' reach must not grow by their own hand: adding someone from a team they
    do not manage to their own team is refused, and the person stays out of reach."""
    users, o = _world(world_a)
    manager = api(users["manager"])
    team = f"/api/v1/orgs/alpha/teams/{o['team']}/"
    people = [o["user:manager"], o["user:owner"], o["user:non_owner"], o["user:stranger"]]
    pulled = manager.patch(team, {"members": people}, format="json").status_code
    reached = manager.patch(
        f"/api/v1/orgs/alpha/objectives/{o['obj:stranger']}/", {"title": "x"}, format="json"
    ).status_code
    assert (pulled, reached) == (403, 403)
