"""The ``organization`` kind: an organisation document (``transfer.document``) loaded into
an empty organisation, so that exporting it again gives the same document.

Everything is checked first (``organization_check``); then the rows are written in
bulk, in the order their references need, with the values the document holds —
progress, grades, confidences, check-in times — so that the figures computed from
them (scorecard scores, health) come out the same. One activity entry names the
import; the data version is bumped with it. All or nothing: a document is one whole.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _

from activity.services import activity_record
from conversations.models import Comment
from cycles.models import Cycle
from kpis.models import Kpi, Measurement
from objectives.models import CheckIn, Contribution, Initiative, KeyResult, Objective, Retrospective
from orgs.models import Membership, Team, TeamMember, User
from scorecards.models import Scorecard, ScorecardItem, StrategyLink
from transfer.document import ORGANIZATION_FIELDS
from transfer.kinds.base import Context, Report
from transfer.kinds.organization_check import DocumentCheck, read_document

_MENTION_BY_EMAIL = re.compile(r"(?<![\w@.])@(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)")
_KINDS = ("teams", "cycles", "kpis", "objectives", "key_results", "check_ins", "scorecards")


def _d(value: Any) -> date | None:
    return None if value in (None, "") else date.fromisoformat(str(value))


def _t(value: Any) -> datetime | None:
    return None if value in (None, "") else datetime.fromisoformat(str(value))


def _day(value: Any) -> date:
    return date.fromisoformat(str(value))


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def _is_empty(ctx: Context) -> bool:
    org = ctx.org
    return not any(
        m._default_manager.filter(organization=org).exists() for m in (Team, Cycle, Objective, Kpi, Scorecard)
    )


def _check_people(ctx: Context, doc: dict[str, Any], report: Report) -> None:
    """Someone who has an account on this server joins only with their consent (an
    invitation) — unless the operator restores the organisation (``allow_existing``)."""
    if ctx.options.get("allow_existing"):
        return
    emails = {str(m.get("email", "")).casefold(): i for i, m in enumerate(doc["members"])}
    members = set(Membership.objects.filter(organization=ctx.org).values_list("user__email", flat=True))
    for user_email in User.objects.filter(email__in=[m.get("email") for m in doc["members"]]).values_list(
        "email", flat=True
    ):
        if user_email in members:
            continue
        report.error(
            emails.get(user_email.casefold(), 0) + 1,
            "members.email",
            _("%(email)s already has an account here: invite them, or ask the operator to restore.")
            % {"email": user_email},
        )


def run_organization(ctx: Context, data: bytes) -> Report:
    report = Report()
    doc = read_document(data)
    if not _is_empty(ctx):
        raise ValidationError({"file": _("An organisation export loads only into an empty organisation.")})
    DocumentCheck(doc, report).run()
    _check_people(ctx, doc, report)
    report.create = sum(len(doc[c]) for c in _KINDS) + len(doc["members"])
    if not ctx.write:
        return report
    if report.error_count:
        raise ValidationError({"rows": _("The document has errors, so nothing was imported.")})
    _Restore(ctx, doc).run()
    activity_record(
        org=ctx.org,
        actor=ctx.actor,
        verb="organization.imported",
        target=ctx.run,
        after={"import": ctx.run.pk if ctx.run else None, "created": report.create},
    )
    return report


class _Restore:
    def __init__(self, ctx: Context, doc: dict[str, Any]) -> None:
        self.ctx, self.org, self.doc = ctx, ctx.org, doc
        self.objects: dict[str, dict[str, Model]] = {c: {} for c in _KINDS}
        self.users: dict[str, User] = {}

    def run(self) -> None:
        self._organization()
        self._people()
        self._cycles_and_kpis()
        self._okrs()
        self._check_ins_and_more()
        self._scorecards()
        self._comments()

    def ref(self, collection: str, key: Any) -> Any:
        return None if key in (None, "") else self.objects[collection][key]

    def user(self, email: Any) -> User | None:
        return None if not email else self.users.get(str(email).casefold())

    def _organization(self) -> None:
        part = self.doc.get("organization") or {}
        fields = [f for f in ORGANIZATION_FIELDS if f not in ("name", "slug") and f in part]
        for f in fields:
            setattr(self.org, f, part[f])
        self.org.full_clean(exclude=["name", "slug"])
        self.org.save(update_fields=fields)

    def _people(self) -> None:
        rows = self.doc["members"]
        existing = {u.email.casefold(): u for u in User.objects.filter(email__in=[r["email"] for r in rows])}
        for r in rows:
            user = existing.get(r["email"].casefold())
            if user is None:  # a new account, without a password: its owner sets one by "forgot password"
                user = User.objects.create_user(r["email"], None, name=(r.get("name") or "").strip())
            self.users[r["email"].casefold()] = user
        teams = self.objects["teams"]
        pending = list(self.doc["teams"])
        while pending:  # parents first (the check refused loops)
            ready = [t for t in pending if t["parent_key"] is None or t["parent_key"] in teams]
            for t in ready:
                teams[t["key"]] = Team.objects.create(
                    organization=self.org, name=t["name"], parent=self.ref("teams", t["parent_key"])
                )
            pending = [t for t in pending if t["key"] not in teams]
        have = dict(Membership.objects.filter(organization=self.org).values_list("user_id", "pk"))
        for r in rows:
            user = self.users[r["email"].casefold()]
            team = self.ref("teams", r["primary_team_key"])
            if user.pk in have:
                Membership.objects.filter(pk=have[user.pk]).update(role=r["role"], primary_team=team)
            else:
                Membership.objects.create(organization=self.org, user=user, role=r["role"], primary_team=team)
        TeamMember.objects.bulk_create(
            TeamMember(
                organization=self.org,
                team=self.ref("teams", r["team_key"]),
                user=self.users[r["email"].casefold()],
                is_manager=bool(r["is_manager"]),
            )
            for r in self.doc["team_members"]
        )

    def _bulk(self, collection: str, model: type[Model], build: Any) -> None:
        made = model._default_manager.bulk_create([build(r) for r in self.doc[collection]], batch_size=1000)
        if collection in self.objects:
            for r, obj in zip(self.doc[collection], made, strict=True):
                self.objects[collection][r["key"]] = obj

    def _cycles_and_kpis(self) -> None:
        org = self.org
        self._bulk(
            "cycles",
            Cycle,
            lambda r: Cycle(
                organization=org,
                name=r["name"],
                kind=r["kind"],
                start_date=_day(r["start_date"]),
                end_date=_day(r["end_date"]),
                status=r["status"],
                closing_message=r.get("closing_message") or "",
                closed_at=_t(r.get("closed_at")),
                closed_by=self.user(r.get("closed_by_email")),
            ),
        )
        plain = ("name", "description", "how_measured", "owner_type", "unit", "direction", "target", "target_low")
        more = ("target_high", "amber_threshold", "frequency", "perspective", "active")
        self._bulk(
            "kpis",
            Kpi,
            lambda r: Kpi(
                organization=org,
                **{f: r[f] for f in plain + more},
                owner_team=self.ref("teams", r["owner_team_key"]),
                owner_user=self.user(r["owner_email"]),
                tracking_since=_day(r["tracking_since"]),
            ),
        )
        self._bulk(
            "measurements",
            Measurement,
            lambda r: Measurement(
                organization=org,
                kpi=self.ref("kpis", r["kpi_key"]),
                period=_day(r["period"]),
                value=r["value"],
                note=r.get("note") or "",
                author=self.user(r.get("author_email")),
            ),
        )

    def _okrs(self) -> None:
        org = self.org
        plain = ("title", "description", "commitment", "owner_type", "weight", "perspective", "status", "progress")
        self._bulk(
            "objectives",
            Objective,
            lambda r: Objective(
                organization=org,
                cycle=self.ref("cycles", r["cycle_key"]),
                **{f: r[f] for f in plain},
                owner_team=self.ref("teams", r["owner_team_key"]),
                owner_user=self.user(r["owner_email"]),
                confidence=r.get("confidence"),
                activated_at=_t(r.get("activated_at")),
                grade=r.get("grade"),
                created_by=self.user(r.get("created_by_email")),
            ),
        )
        self._link("objectives", Objective, ("parent_key", "parent"), ("carried_from_key", "carried_from"))
        kr_plain = ("title", "kind", "unit", "start_value", "target_value", "current_value", "weight", "progress")
        self._bulk(
            "key_results",
            KeyResult,
            lambda r: KeyResult(
                organization=org,
                objective=self.ref("objectives", r["objective_key"]),
                **{f: r[f] for f in kr_plain},
                owner=self.user(r["owner_email"]),
                confidence=r.get("confidence"),
                kpi=self.ref("kpis", r.get("kpi_key")),
                position=r.get("position") or 0,
                grade=r.get("grade"),
                grade_note=r.get("grade_note") or "",
                last_check_in_at=_t(r.get("last_check_in_at")),
            ),
        )
        self._link("key_results", KeyResult, ("carried_from_key", "carried_from"))
        self._bulk(
            "contributions",
            Contribution,
            lambda r: Contribution(
                organization=org,
                child=self.ref("objectives", r["child_key"]),
                parent=self.ref("objectives", r.get("parent_key")),
                key_result=self.ref("key_results", r.get("key_result_key")),
                weight=r["weight"],
            ),
        )

    def _link(self, collection: str, model: type[Model], *pairs: tuple[str, str]) -> None:
        """The references within one collection, once every row of it exists."""
        for r in self.doc[collection]:
            values = {attr: self.ref(collection, r.get(key)) for key, attr in pairs if r.get(key)}
            if values:
                model._default_manager.filter(pk=self.objects[collection][r["key"]].pk).update(**values)

    def _check_ins_and_more(self) -> None:
        org = self.org
        self._bulk(
            "check_ins",
            CheckIn,
            lambda r: CheckIn(
                organization=org,
                key_result=self.ref("key_results", r["key_result_key"]),
                author=self.user(r.get("author_email")),
                value=r["value"],
                confidence=r["confidence"],
                note=r.get("note") or "",
                created_at=_moment(r["created_at"]),
            ),
        )
        self._bulk(
            "initiatives",
            Initiative,
            lambda r: Initiative(
                organization=org,
                objective=self.ref("objectives", r["objective_key"]),
                key_result=self.ref("key_results", r.get("key_result_key")),
                title=r["title"],
                owner=self.user(r.get("owner_email")),
                status=r["status"],
                due_date=_d(r.get("due_date")),
            ),
        )
        texts = ("went_well", "went_badly", "learned", "reviewer_comment")
        self._bulk(
            "retrospectives",
            Retrospective,
            lambda r: Retrospective(
                organization=org,
                objective=self.ref("objectives", r["objective_key"]),
                **{f: r.get(f) or "" for f in texts},
                author=self.user(r.get("author_email")),
                acknowledged_by=self.user(r.get("acknowledged_by_email")),
                acknowledged_at=_t(r.get("acknowledged_at")),
            ),
        )

    def _scorecards(self) -> None:
        org = self.org
        weights = ("weight_financial", "weight_customer", "weight_internal_process", "weight_learning_growth")
        self._bulk(
            "scorecards",
            Scorecard,
            lambda r: Scorecard(
                organization=org,
                name=r["name"],
                owner_team=self.ref("teams", r.get("owner_team_key")),
                **{f: r[f] for f in (*weights, "frequency", "green_at", "amber_at", "settled_at")},
            ),
        )
        self._bulk(
            "scorecard_items",
            ScorecardItem,
            lambda r: ScorecardItem(
                organization=org,
                scorecard=self.ref("scorecards", r["scorecard_key"]),
                kpi=self.ref("kpis", r["kpi_key"]),
                perspective=r["perspective"],
                weight=r["weight"],
                position=r.get("position") or 0,
            ),
        )
        self._bulk("strategy_links", StrategyLink, self._strategy_link)

    def _strategy_link(self, r: dict[str, Any]) -> StrategyLink:
        link = StrategyLink(organization=self.org, scorecard=self.ref("scorecards", r["scorecard_key"]))
        for end in ("source", "target"):
            kind = "kpi" if str(r[end]).startswith("kpi-") else "objective"
            setattr(link, f"{end}_{kind}", self.ref(f"{kind}s", r[end]))
        return link

    def _comments(self) -> None:
        rows = self.doc["comments"]
        made = Comment.objects.bulk_create(
            Comment(
                organization=self.org,
                objective=self.ref("objectives", r["objective_key"]),
                check_in=self.ref("check_ins", r.get("check_in_key")),
                author=self.user(r.get("author_email")),
                body=_mentions_to_ids(r.get("body") or "", self.users),
                edited_at=_t(r.get("edited_at")),
            )
            for r in rows
        )
        for r, comment in zip(rows, made, strict=True):  # created_at is set on insert; put the original back
            Comment.objects.filter(pk=comment.pk).update(created_at=_moment(r["created_at"]))


def _mentions_to_ids(body: str, users: dict[str, User]) -> str:
    """``@email`` of a member back to ``@[id]`` on this server (the export writes addresses)."""

    def swap(m: re.Match[str]) -> str:
        user = users.get(m["email"].casefold())
        return f"@[{user.pk}]" if user is not None else m[0]

    return _MENTION_BY_EMAIL.sub(swap, body)
