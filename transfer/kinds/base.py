"""What every kind of import shares: the report of a dry run or an apply, and the
stable external keys that make a second apply change nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model

from orgs.models import Organization, User
from transfer.models import ImportedKey, ImportRun

# Rows whose error messages are kept in a report: past this the count says how many more.
MAX_REPORTED_ERRORS = 500
MAX_UNKNOWN_PEOPLE = 100


@dataclass
class Report:
    """How many rows would be (or were) created, updated and left unchanged, and the
    rows that cannot be imported: ``{"row", "field", "message"}`` — the file's line or the
    object's position in its collection, the column, and why."""

    create: int = 0
    update: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)
    error_count: int = 0
    notes: list[str] = field(default_factory=list)
    # Names and addresses of people the file names who are not members: the page offers to
    # map each to a member, or to invite the addresses.
    unknown_people: set[str] = field(default_factory=set)

    def error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        self.bad_rows.add(row)
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"row": row, "field": column, "message": str(message)})

    def error_from(self, row: int, column: str, exc: ValidationError) -> None:
        """A service's refusal, one entry per message (the service's field when it names one)."""
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                for e in errors:
                    self.error(row, column or name, " ".join(e.messages))
        else:
            for message in exc.messages:
                self.error(row, column, message)

    def count(self, action: str) -> None:
        setattr(self, action, getattr(self, action) + 1)

    def as_json(self) -> dict[str, Any]:
        return {
            "create": self.create,
            "update": self.update,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "error_rows": len(self.bad_rows),
            "notes": self.notes,
            "unknown_people": sorted(self.unknown_people)[:MAX_UNKNOWN_PEOPLE],
        }

    def unknown_person(self, row: int, column: str, text: str, message: str) -> None:
        if text.strip():
            self.unknown_people.add(text.strip())
        self.error(row, column, message)


@dataclass(frozen=True)
class Context:
    """What a kind needs to check or apply a file: ``write`` is False for a dry run;
    ``only_valid`` skips bad rows instead of refusing the file; ``progress(done)`` is told
    how far it got."""

    org: Organization
    actor: User | None
    run: ImportRun | None
    write: bool
    only_valid: bool = False
    progress: Callable[[int], None] | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def tick(self, done: int) -> None:
        if self.progress is not None and done % 100 == 0:
            self.progress(done)


def natural_key(*parts: object) -> str:
    """A stable external key from a row's natural key (when the file has no id column)."""
    text = "\x1f".join(str(p).strip().casefold() for p in parts)
    return "h:" + hashlib.sha256(text.encode()).hexdigest()[:40]


def fingerprint(values: Iterable[object]) -> str:
    """What a row said, so that applying an unchanged row again is known to change nothing."""
    return hashlib.sha256(repr(tuple(values)).encode()).hexdigest()


class KeyBook:
    """The organisation's external keys of one kind, read once (one query)."""

    def __init__(self, org: Organization, kind: str) -> None:
        self.org = org
        self.kind = kind
        self.pending: list[ImportedKey] = []
        self.rows: dict[tuple[str, str], ImportedKey] = {
            (k.model, k.key): k for k in ImportedKey.objects.filter(organization=org, kind=kind)
        }

    def get(self, model: type[Model], key: str) -> ImportedKey | None:
        return self.rows.get((model._meta.label_lower, key))

    def remember(
        self, model: type[Model], key: str, obj: Model, *, run: ImportRun | None, fp: str = "", set_aside: int = 0
    ) -> None:
        """Keep the key of an object the import made or updated (``set_aside``: an objective's
        key results that came in as initiatives). New keys are inserted together by ``flush``
        (one statement, not one per row)."""
        label = model._meta.label_lower
        known = self.rows.get((label, key))
        if known is None:
            known = ImportedKey(
                organization=self.org,
                kind=self.kind,
                key=key,
                model=label,
                object_id=obj.pk,
                fingerprint=fp,
                run=run,
                key_results_set_aside=set_aside,
            )
            self.rows[(label, key)] = known
            self.pending.append(known)
        elif known.object_id != obj.pk or known.fingerprint != fp or known.key_results_set_aside != set_aside:
            known.object_id, known.fingerprint, known.run = obj.pk, fp, run
            known.key_results_set_aside = set_aside
            if known.pk is not None:
                known.save(update_fields=["object_id", "fingerprint", "run", "key_results_set_aside"])

    def mark(self) -> int:
        """Where the keys not yet inserted end: ``undo(mark)`` forgets those kept since (their
        objects were rolled back with a savepoint)."""
        return len(self.pending)

    def undo(self, mark: int) -> None:
        for known in self.pending[mark:]:
            self.rows.pop((known.model, known.key), None)
        del self.pending[mark:]

    def flush(self) -> None:
        ImportedKey.objects.bulk_create(self.pending, batch_size=1000)
        self.pending.clear()

    def object_of(self, model: type[Model], key: str) -> Any:
        """The object a key made, if it still exists in this organisation."""
        known = self.get(model, key)
        if known is None:
            return None
        return model._default_manager.filter(organization=self.org, pk=known.object_id).first()
