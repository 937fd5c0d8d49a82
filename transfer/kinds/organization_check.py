"""Checking an organisation document before anything is written: every reference
resolves, every choice is known, numbers are numbers, and the rules of the house hold
(no team deeper than 10 levels, no alignment loop, at most five key results)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from cycles.models import CycleKind, CycleStatus
from kpis.models import Direction, Frequency, Perspective
from objectives.models import (
    MAX_CONTRIBUTIONS,
    MAX_KEY_RESULTS,
    Commitment,
    InitiativeStatus,
    KeyResultKind,
    ObjectiveStatus,
)
from orgs.models import Role
from orgs.ownership import OwnerType
from transfer.document import FIELDS, FORMAT, VERSION
from transfer.kinds.base import Report

MAX_TEAM_DEPTH = 10

# collection → field → the collection its key names
REFERENCES: dict[str, dict[str, str]] = {
    "teams": {"parent_key": "teams"},
    "members": {"primary_team_key": "teams"},
    "team_members": {"team_key": "teams"},
    "kpis": {"owner_team_key": "teams"},
    "measurements": {"kpi_key": "kpis"},
    "objectives": {
        "cycle_key": "cycles",
        "owner_team_key": "teams",
        "parent_key": "objectives",
        "carried_from_key": "objectives",
    },
    "key_results": {"objective_key": "objectives", "kpi_key": "kpis", "carried_from_key": "key_results"},
    "contributions": {"child_key": "objectives", "parent_key": "objectives", "key_result_key": "key_results"},
    "check_ins": {"key_result_key": "key_results"},
    "initiatives": {"objective_key": "objectives", "key_result_key": "key_results"},
    "retrospectives": {"objective_key": "objectives"},
    "scorecards": {"owner_team_key": "teams"},
    "scorecard_items": {"scorecard_key": "scorecards", "kpi_key": "kpis"},
    "strategy_links": {"scorecard_key": "scorecards"},
    "comments": {"objective_key": "objectives", "check_in_key": "check_ins"},
}
REQUIRED_REFERENCES = {
    "team_members": ("team_key",),
    "measurements": ("kpi_key",),
    "key_results": ("objective_key",),
    "contributions": ("child_key",),
    "check_ins": ("key_result_key",),
    "initiatives": ("objective_key",),
    "retrospectives": ("objective_key",),
    "scorecard_items": ("scorecard_key", "kpi_key"),
    "strategy_links": ("scorecard_key",),
    "comments": ("objective_key",),
}
CHOICES: dict[str, dict[str, type[models.TextChoices]]] = {
    "members": {"role": Role},
    "cycles": {"kind": CycleKind, "status": CycleStatus},
    "kpis": {"owner_type": OwnerType, "direction": Direction, "frequency": Frequency, "perspective": Perspective},
    "objectives": {"owner_type": OwnerType, "commitment": Commitment, "status": ObjectiveStatus},
    "key_results": {"kind": KeyResultKind},
    "initiatives": {"status": InitiativeStatus},
    "scorecards": {"frequency": Frequency},
    "scorecard_items": {"perspective": Perspective},
}
NUMBERS: dict[str, tuple[str, ...]] = {
    "measurements": ("value",),
    "objectives": ("weight", "progress"),
    "key_results": ("start_value", "target_value", "current_value", "weight", "progress"),
    "contributions": ("weight",),
    "check_ins": ("value", "confidence"),
    "scorecard_items": ("weight",),
}
OPTIONAL_NUMBERS: dict[str, tuple[str, ...]] = {
    "kpis": ("target", "target_low", "target_high", "amber_threshold"),
    "objectives": ("confidence", "grade"),
    "key_results": ("confidence", "grade"),
}
DATES: dict[str, tuple[str, ...]] = {
    "cycles": ("start_date", "end_date"),
    "measurements": ("period",),
    "kpis": ("tracking_since",),
    "initiatives": ("due_date",),
}
TIMES: dict[str, tuple[str, ...]] = {
    "cycles": ("closed_at",),
    "objectives": ("activated_at",),
    "key_results": ("last_check_in_at",),
    "check_ins": ("created_at",),
    "retrospectives": ("acknowledged_at",),
    "comments": ("created_at", "edited_at"),
}


def read_document(data: bytes) -> dict[str, Any]:
    """The JSON document, or ``ValidationError`` on ``file`` saying why it is not one."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationError({"file": _("This is not an organisation export (a JSON document).")}) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValidationError({"file": _("This is not an organisation export (a JSON document).")})
    if document.get("version") != VERSION:
        raise ValidationError(
            {
                "file": _("This export has version %(v)s; this server reads version %(ok)s.")
                % {"v": str(document.get("version"))[:10], "ok": VERSION}
            }
        )
    for collection in FIELDS:
        rows = document.setdefault(collection, [])
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValidationError({"file": _("“%(name)s” must be a list of objects.") % {"name": collection}})
    return document


class DocumentCheck:
    def __init__(self, document: dict[str, Any], report: Report) -> None:
        self.doc = document
        self.report = report
        self.keys: dict[str, set[str]] = {}

    def error(self, collection: str, index: int, name: str, message: str) -> None:
        # One row number across the document: the collection is in the field's name.
        self.report.error(index + 1, f"{collection}.{name}", message)

    def run(self) -> None:
        self._keys()
        for collection in FIELDS:
            for i, row in enumerate(self.doc[collection]):
                self._row(collection, i, row)
        self._emails()
        self._team_depth()
        self._alignment_loops()
        self._key_result_counts()
        ContributionCheck(self).run()

    def _keys(self) -> None:
        for collection, fields in FIELDS.items():
            if "key" not in fields:
                continue
            seen: set[str] = set()
            for i, row in enumerate(self.doc[collection]):
                key = row.get("key")
                if not isinstance(key, str) or not key:
                    self.error(collection, i, "key", _("The key is missing."))
                elif key in seen:
                    self.error(collection, i, "key", _("The key %(key)s appears twice.") % {"key": key[:60]})
                seen.add(str(key))
            self.keys[collection] = seen

    def _row(self, collection: str, i: int, row: dict[str, Any]) -> None:
        for name, target in REFERENCES.get(collection, {}).items():
            value = row.get(name)
            if value in (None, ""):
                if name in REQUIRED_REFERENCES.get(collection, ()):
                    self.error(collection, i, name, _("This reference is required."))
            elif value not in self.keys.get(target, set()):
                self.error(collection, i, name, _("Unknown key %(key)s.") % {"key": str(value)[:60]})
        for name, choices in CHOICES.get(collection, {}).items():
            if row.get(name) not in choices.values:
                self.error(collection, i, name, _("Unknown value %(value)s.") % {"value": str(row.get(name))[:40]})
        for name in NUMBERS.get(collection, ()):
            if not _is_number(row.get(name)):
                self.error(collection, i, name, _("Enter a number."))
        for name in OPTIONAL_NUMBERS.get(collection, ()):
            if row.get(name) is not None and not _is_number(row.get(name)):
                self.error(collection, i, name, _("Enter a number."))
        self._when(collection, i, row)
        if collection == "strategy_links":
            for end in ("source", "target"):
                kind, _sep, _rest = str(row.get(end) or "").partition("-")
                pool = {"kpi": "kpis", "objective": "objectives"}.get(kind, "")
                if not pool or row.get(end) not in self.keys.get(pool, set()):
                    self.error(collection, i, end, _("Unknown key %(key)s.") % {"key": str(row.get(end))[:60]})

    def _when(self, collection: str, i: int, row: dict[str, Any]) -> None:
        for name in DATES.get(collection, ()):
            value = row.get(name)
            if value is not None and not _parses(date.fromisoformat, value):
                self.error(collection, i, name, _("Enter a date as YYYY-MM-DD."))
        for name in TIMES.get(collection, ()):
            value = row.get(name)
            if value is not None and not _parses(datetime.fromisoformat, value):
                self.error(collection, i, name, _("Enter a date and time in ISO 8601."))

    def _emails(self) -> None:
        members = {str(m.get("email", "")).casefold() for m in self.doc["members"]}
        owners = (("kpis", "owner_email"), ("objectives", "owner_email"), ("key_results", "owner_email"))
        for collection, name in (*owners, ("team_members", "email"), ("initiatives", "owner_email")):
            for i, row in enumerate(self.doc[collection]):
                value = row.get(name)
                if value and str(value).casefold() not in members:
                    self.error(collection, i, name, _("%(email)s is not a member.") % {"email": str(value)[:80]})
        for collection, name in owners[1:]:
            for i, row in enumerate(self.doc[collection]):
                needs = collection == "key_results" or row.get("owner_type") == OwnerType.PERSON
                if needs and not row.get(name):
                    self.error(collection, i, name, _("An owner is required."))

    def _chains(self, collection: str, parent: str) -> Iterable[tuple[int, list[str] | None]]:
        """Each row's chain of parents up to the top, or None when it loops."""
        parents = {r.get("key"): r.get(parent) for r in self.doc[collection]}
        for i, row in enumerate(self.doc[collection]):
            chain: list[str] = []
            node = row.get(parent)
            while node is not None and node in parents:
                if node == row.get("key") or node in chain:
                    yield i, None
                    break
                chain.append(node)
                node = parents[node]
            else:
                yield i, chain

    def _team_depth(self) -> None:
        for i, chain in self._chains("teams", "parent_key"):
            if chain is None:
                self.error("teams", i, "parent_key", _("The team tree has a loop."))
            elif len(chain) + 1 > MAX_TEAM_DEPTH:
                self.error("teams", i, "parent_key", _("Teams nest at most %(n)d levels deep.") % {"n": MAX_TEAM_DEPTH})

    def _alignment_loops(self) -> None:
        for i, chain in self._chains("objectives", "parent_key"):
            if chain is None:
                self.error("objectives", i, "parent_key", _("This alignment makes a loop."))

    def _key_result_counts(self) -> None:
        counts: dict[str, int] = {}
        for i, row in enumerate(self.doc["key_results"]):
            key = row.get("objective_key")
            counts[key] = counts.get(key, 0) + 1
            if counts[key] > MAX_KEY_RESULTS:
                self.error(
                    "key_results",
                    i,
                    "objective_key",
                    _("An objective has at most %(n)d key results.") % {"n": MAX_KEY_RESULTS},
                )


class ContributionCheck:
    """The contribution rules of the services (``objectives.services.contributions``) on
    the document: exactly one target, an ``aligned`` key result, a weight in (0, 10], not
    to itself nor its primary parent, no link twice, at most ``MAX_CONTRIBUTIONS`` from one
    objective, and no loop through parents and contributions together."""

    def __init__(self, check: DocumentCheck) -> None:
        self.check = check
        doc = check.doc
        self.parents = {o.get("key"): o.get("parent_key") for o in doc["objectives"]}
        self.kr_objective = {kr.get("key"): kr.get("objective_key") for kr in doc["key_results"]}
        self.kr_kind = {kr.get("key"): kr.get("kind") for kr in doc["key_results"]}
        self.rows = doc["contributions"]

    def error(self, i: int, name: str, message: str) -> None:
        self.check.error("contributions", i, name, message)

    def target(self, row: dict[str, Any]) -> Any:
        if row.get("parent_key"):
            return row.get("parent_key")
        return self.kr_objective.get(row.get("key_result_key"))

    def run(self) -> None:
        seen: set[tuple[Any, Any, Any]] = set()
        counts: dict[Any, int] = {}
        for i, row in enumerate(self.rows):
            child, parent, kr = row.get("child_key"), row.get("parent_key"), row.get("key_result_key")
            if bool(parent) == bool(kr):
                self.error(i, "parent_key", _("Name either an objective or a key result to contribute to, not both."))
            if parent and parent in (child, self.parents.get(child)):
                self.error(i, "parent_key", _("An objective cannot contribute to itself."))
            if kr and kr in self.kr_kind and self.kr_kind[kr] != KeyResultKind.ALIGNED:
                self.error(
                    i,
                    "key_result_key",
                    _(
                        "Only a key result of kind “aligned” takes contributions; "
                        "this one is measured by its check-ins."
                    ),
                )
            weight = row.get("weight")
            if _is_number(weight) and not 0 < weight <= 10:
                self.error(i, "weight", _("The weight must be more than 0 and at most %(max)s.") % {"max": 10})
            if (child, parent, kr) in seen:
                self.error(i, "child_key", _("It already contributes to this."))
            seen.add((child, parent, kr))
            counts[child] = counts.get(child, 0) + 1
            if counts[child] > MAX_CONTRIBUTIONS:
                self.error(
                    i,
                    "child_key",
                    _("An objective contributes to at most %(max)d further objectives or key results.")
                    % {"max": MAX_CONTRIBUTIONS},
                )
        self._loops()

    def _loops(self) -> None:
        feeds: dict[Any, set[Any]] = {}
        for key, parent in self.parents.items():
            if parent:
                feeds.setdefault(key, set()).add(parent)
        for row in self.rows:
            if self.target(row):
                feeds.setdefault(row.get("child_key"), set()).add(self.target(row))
        for i, row in enumerate(self.rows):
            child, start = row.get("child_key"), self.target(row)
            stack, visited = [start], set()
            while stack:
                node = stack.pop()
                if node == child:
                    self.error(i, "child_key", _("This alignment makes a loop."))
                    break
                if node in visited:
                    continue
                visited.add(node)
                stack.extend(feeds.get(node, ()))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value  # noqa: PLR0124 NaN


def _parses(parse: Any, value: Any) -> bool:
    try:
        parse(str(value))
    except ValueError:
        return False
    return True
