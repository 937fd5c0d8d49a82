"""The whole organisation as one document (``docs/export-format.md``).

Objects refer to each other by ``key`` — ``team-1``, ``objective-12`` — numbered in
the order of their database ids, never by the ids themselves, and to people by
e-mail address: the document of an organisation restored from it (``transfer.restore``)
is the same document, whatever ids the new server gave the rows. Each object also
carries its ``id`` on this server, for reference only; a reader ignores it.

Every field list is written once here (``FIELDS``): the JSON document, the ZIP of
CSV files and the documentation's tables all come from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any

from django.db.models import Model, QuerySet

from conversations.mentions import MENTION_RE
from conversations.models import Comment
from cycles.models import Cycle
from kpis.models import Kpi, Measurement
from objectives.models import CheckIn, Contribution, Initiative, KeyResult, Objective, Retrospective
from orgs.models import Membership, Organization, Team, TeamMember, User
from orgs.services.organizations import ORGANIZATION_SETTINGS
from scorecards.models import Scorecard, ScorecardItem, StrategyLink

FORMAT = "okrkpi-organization"
VERSION = 1

# The organisation's own settings (one list, orgs.services), with its slug after its name.
ORGANIZATION_FIELDS = ("name", "slug", *(f for f in ORGANIZATION_SETTINGS if f != "name"))

# Collection → its fields, in the document's order. ``*_key`` fields name another
# object's key, ``*_email`` a person.
FIELDS: dict[str, tuple[str, ...]] = {
    "teams": ("key", "id", "name", "parent_key"),
    "members": ("email", "name", "role", "primary_team_key"),
    "team_members": ("team_key", "email", "is_manager"),
    "cycles": (
        "key",
        "id",
        "name",
        "kind",
        "start_date",
        "end_date",
        "status",
        "closing_message",
        "closed_at",
        "closed_by_email",
    ),
    "kpis": (
        "key",
        "id",
        "name",
        "description",
        "how_measured",
        "owner_type",
        "owner_team_key",
        "owner_email",
        "unit",
        "direction",
        "target",
        "target_low",
        "target_high",
        "amber_threshold",
        "frequency",
        "perspective",
        "active",
        "tracking_since",
    ),
    "measurements": ("kpi_key", "period", "value", "note", "author_email"),
    "objectives": (
        "key",
        "id",
        "cycle_key",
        "title",
        "description",
        "commitment",
        "owner_type",
        "owner_team_key",
        "owner_email",
        "parent_key",
        "weight",
        "perspective",
        "status",
        "progress",
        "confidence",
        "activated_at",
        "grade",
        "carried_from_key",
        "created_by_email",
    ),
    "key_results": (
        "key",
        "id",
        "objective_key",
        "title",
        "owner_email",
        "kind",
        "unit",
        "start_value",
        "target_value",
        "current_value",
        "weight",
        "progress",
        "confidence",
        "kpi_key",
        "position",
        "grade",
        "grade_note",
        "carried_from_key",
        "last_check_in_at",
    ),
    "contributions": ("child_key", "parent_key", "key_result_key", "weight"),
    "check_ins": ("key", "id", "key_result_key", "author_email", "value", "confidence", "note", "created_at"),
    "initiatives": ("objective_key", "key_result_key", "title", "owner_email", "status", "due_date"),
    "retrospectives": (
        "objective_key",
        "went_well",
        "went_badly",
        "learned",
        "author_email",
        "reviewer_comment",
        "acknowledged_by_email",
        "acknowledged_at",
    ),
    "scorecards": (
        "key",
        "id",
        "name",
        "owner_team_key",
        "frequency",
        "weight_financial",
        "weight_customer",
        "weight_internal_process",
        "weight_learning_growth",
        "green_at",
        "amber_at",
        "settled_at",
    ),
    "scorecard_items": ("scorecard_key", "kpi_key", "perspective", "weight", "position"),
    "strategy_links": ("scorecard_key", "source", "target"),
    "comments": ("objective_key", "check_in_key", "author_email", "body", "created_at", "edited_at"),
}


def _plain(value: Any) -> Any:
    """JSON's value: dates and times in ISO 8601, everything else as it is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class Keys:
    """Each exported object's key: its kind and its rank by id, from 1."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, int], str] = {}

    def number(self, prefix: str, ids: Iterable[int]) -> None:
        for n, pk in enumerate(sorted(ids), start=1):
            self._keys[(prefix, pk)] = f"{prefix}-{n}"

    def of(self, prefix: str, pk: int | None) -> str | None:
        return None if pk is None else self._keys.get((prefix, pk))


Rows = Iterator[dict[str, Any]]


def _rows(objects: QuerySet[Any], collection: str, row: Callable[[Any], dict[str, Any]]) -> Rows:
    """A collection's rows, read in chunks as they are asked for (a big organisation streams)."""
    fields = FIELDS[collection]
    for obj in objects.iterator(chunk_size=2000):
        values = row(obj)
        yield {f: _plain(values[f]) for f in fields}


def _emails(org: Organization) -> dict[int, str]:
    """Every person an exported row may name: members, and people who left but still
    wrote a check-in or a comment (named by their address too)."""
    return dict(User.objects.filter(memberships__organization=org).values_list("pk", "email"))


class _Exporter:
    def __init__(self, org: Organization) -> None:
        self.org = org
        self.keys = Keys()
        self.emails = _emails(org)
        for prefix, model in (
            ("team", Team),
            ("cycle", Cycle),
            ("kpi", Kpi),
            ("objective", Objective),
            ("key-result", KeyResult),
            ("check-in", CheckIn),
            ("scorecard", Scorecard),
        ):
            self.keys.number(prefix, model._default_manager.filter(organization=org).values_list("pk", flat=True))

    def email(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in self.emails:
            self.emails[user_id] = User.objects.filter(pk=user_id).values_list("email", flat=True).first() or ""
        return self.emails[user_id] or None

    def k(self, prefix: str, pk: int | None) -> str | None:
        return self.keys.of(prefix, pk)

    def scoped(self, model: type[Model]) -> Any:
        return model._default_manager.filter(organization=self.org).order_by("pk")


def _organization_part(org: Organization) -> dict[str, Any]:
    return {f: getattr(org, f) for f in ORGANIZATION_FIELDS}


def _people(x: _Exporter) -> dict[str, Rows]:
    members = x.scoped(Membership).select_related("user").order_by("user__email")
    team_members = x.scoped(TeamMember).order_by("team_id", "user__email")
    return {
        "teams": _rows(
            x.scoped(Team),
            "teams",
            lambda t: {"key": x.k("team", t.pk), "id": t.pk, "name": t.name, "parent_key": x.k("team", t.parent_id)},
        ),
        "members": _rows(
            members,
            "members",
            lambda m: {
                "email": m.user.email,
                "name": m.user.name,
                "role": m.role,
                "primary_team_key": x.k("team", m.primary_team_id),
            },
        ),
        "team_members": _rows(
            team_members,
            "team_members",
            lambda tm: {"team_key": x.k("team", tm.team_id), "email": x.email(tm.user_id), "is_manager": tm.is_manager},
        ),
    }


def _fields_of(obj: Model, names: Iterable[str]) -> dict[str, Any]:
    return {n: getattr(obj, n) for n in names}


def _cycles_and_kpis(x: _Exporter) -> dict[str, Rows]:
    cycle_fields = ("name", "kind", "start_date", "end_date", "status", "closing_message", "closed_at")
    kpi_fields = FIELDS["kpis"][3:6] + FIELDS["kpis"][8:]
    return {
        "cycles": _rows(
            x.scoped(Cycle),
            "cycles",
            lambda c: {
                "key": x.k("cycle", c.pk),
                "id": c.pk,
                **_fields_of(c, cycle_fields),
                "closed_by_email": x.email(c.closed_by_id),
            },
        ),
        "kpis": _rows(
            x.scoped(Kpi),
            "kpis",
            lambda k: {
                "key": x.k("kpi", k.pk),
                "id": k.pk,
                "name": k.name,
                **_fields_of(k, kpi_fields),
                "owner_team_key": x.k("team", k.owner_team_id),
                "owner_email": x.email(k.owner_user_id),
            },
        ),
        "measurements": _rows(
            x.scoped(Measurement).order_by("kpi_id", "period"),
            "measurements",
            lambda m: {
                "kpi_key": x.k("kpi", m.kpi_id),
                "period": m.period,
                "value": m.value,
                "note": m.note,
                "author_email": x.email(m.author_id),
            },
        ),
    }


def _objective_row(x: _Exporter, o: Objective) -> dict[str, Any]:
    plain = ("title", "description", "commitment", "owner_type", "weight", "perspective", "status", "progress")
    return {
        "key": x.k("objective", o.pk),
        "id": o.pk,
        "cycle_key": x.k("cycle", o.cycle_id),
        **_fields_of(o, plain),
        "owner_team_key": x.k("team", o.owner_team_id),
        "owner_email": x.email(o.owner_user_id),
        "parent_key": x.k("objective", o.parent_id),
        "confidence": o.confidence,
        "activated_at": o.activated_at,
        "grade": o.grade,
        "carried_from_key": x.k("objective", o.carried_from_id),
        "created_by_email": x.email(o.created_by_id),
    }


def _key_result_row(x: _Exporter, kr: KeyResult) -> dict[str, Any]:
    plain = ("title", "kind", "unit", "start_value", "target_value", "current_value", "weight", "progress")
    return {
        "key": x.k("key-result", kr.pk),
        "id": kr.pk,
        "objective_key": x.k("objective", kr.objective_id),
        **_fields_of(kr, plain),
        "owner_email": x.email(kr.owner_id),
        "confidence": kr.confidence,
        "kpi_key": x.k("kpi", kr.kpi_id),
        "position": kr.position,
        "grade": kr.grade,
        "grade_note": kr.grade_note,
        "carried_from_key": x.k("key-result", kr.carried_from_id),
        "last_check_in_at": kr.last_check_in_at,
    }


def _okrs(x: _Exporter) -> dict[str, Rows]:
    return {
        "objectives": _rows(x.scoped(Objective), "objectives", lambda o: _objective_row(x, o)),
        "key_results": _rows(x.scoped(KeyResult), "key_results", lambda kr: _key_result_row(x, kr)),
        "contributions": _rows(
            x.scoped(Contribution),
            "contributions",
            lambda c: {
                "child_key": x.k("objective", c.child_id),
                "parent_key": x.k("objective", c.parent_id),
                "key_result_key": x.k("key-result", c.key_result_id),
                "weight": c.weight,
            },
        ),
        "check_ins": _rows(
            x.scoped(CheckIn),
            "check_ins",
            lambda c: {
                "key": x.k("check-in", c.pk),
                "id": c.pk,
                "key_result_key": x.k("key-result", c.key_result_id),
                "author_email": x.email(c.author_id),
                **_fields_of(c, ("value", "confidence", "note", "created_at")),
            },
        ),
        "initiatives": _rows(
            x.scoped(Initiative),
            "initiatives",
            lambda i: {
                "objective_key": x.k("objective", i.objective_id),
                "key_result_key": x.k("key-result", i.key_result_id),
                "owner_email": x.email(i.owner_id),
                **_fields_of(i, ("title", "status", "due_date")),
            },
        ),
        "retrospectives": _rows(
            x.scoped(Retrospective),
            "retrospectives",
            lambda r: {
                "objective_key": x.k("objective", r.objective_id),
                "author_email": x.email(r.author_id),
                "acknowledged_by_email": x.email(r.acknowledged_by_id),
                **_fields_of(r, ("went_well", "went_badly", "learned", "reviewer_comment", "acknowledged_at")),
            },
        ),
    }


def _node(x: _Exporter, kpi_id: int | None, objective_id: int | None) -> str | None:
    return x.k("kpi", kpi_id) if kpi_id is not None else x.k("objective", objective_id)


def _scorecards(x: _Exporter) -> dict[str, Rows]:
    plain = FIELDS["scorecards"][4:]
    return {
        "scorecards": _rows(
            x.scoped(Scorecard),
            "scorecards",
            lambda s: {
                "key": x.k("scorecard", s.pk),
                "id": s.pk,
                "name": s.name,
                "owner_team_key": x.k("team", s.owner_team_id),
                **_fields_of(s, plain),
            },
        ),
        "scorecard_items": _rows(
            x.scoped(ScorecardItem).order_by("scorecard_id", "position", "pk"),
            "scorecard_items",
            lambda i: {
                "scorecard_key": x.k("scorecard", i.scorecard_id),
                "kpi_key": x.k("kpi", i.kpi_id),
                **_fields_of(i, ("perspective", "weight", "position")),
            },
        ),
        "strategy_links": _rows(
            x.scoped(StrategyLink),
            "strategy_links",
            lambda lk: {
                "scorecard_key": x.k("scorecard", lk.scorecard_id),
                "source": _node(x, lk.source_kpi_id, lk.source_objective_id),
                "target": _node(x, lk.target_kpi_id, lk.target_objective_id),
            },
        ),
    }


def _comments(x: _Exporter) -> dict[str, Rows]:
    return {
        "comments": _rows(
            x.scoped(Comment),
            "comments",
            lambda c: {
                "objective_key": x.k("objective", c.objective_id),
                "check_in_key": x.k("check-in", c.check_in_id),
                "author_email": x.email(c.author_id),
                "body": _mentions_by_email(c.body, x),
                **_fields_of(c, ("created_at", "edited_at")),
            },
        )
    }


def _mentions_by_email(body: str, x: _Exporter) -> str:
    """``@[id]`` mentions as ``@email``: ids mean nothing on another server."""

    def swap(m: re.Match[str]) -> str:
        return f"@{x.email(int(m['id']))}" if m["id"] and x.email(int(m["id"])) else m[0]

    return MENTION_RE.sub(swap, body)


def document_parts(*, org: Organization, exported_at: datetime) -> tuple[dict[str, Any], dict[str, Rows]]:
    """The document's head (format, version, time, the organisation's settings) and its
    collections, each read only as it is consumed."""
    x = _Exporter(org)
    head = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": exported_at.isoformat(),
        "organization": _organization_part(org),
    }
    return head, {**_people(x), **_cycles_and_kpis(x), **_okrs(x), **_scorecards(x), **_comments(x)}


def organization_document(*, org: Organization, exported_at: datetime) -> dict[str, Any]:
    """The organisation as the versioned document of ``docs/export-format.md``: no
    password, token or secret of anyone, only what the organisation wrote."""
    head, collections = document_parts(org=org, exported_at=exported_at)
    return {**head, **{name: list(rows) for name, rows in collections.items()}}
