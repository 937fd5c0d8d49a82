"""Preparing an organisation's export in the background, behind a link that expires.

The page streams the JSON document directly; for a large organisation (or the ZIP,
which is built whole) an admin asks for the file to be prepared: a Celery task writes
it under ``TRANSFER_EXPORT_DIR`` (``var/exports`` by default) and the page links to it
with a signed token that names the organisation and expires after
``EXPORT_LINK_SECONDS``. Files older than that are deleted when another is prepared.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from orgs.models import Organization
from transfer.archive import document_zip, stream_json
from transfer.document import organization_document

EXPORT_LINK_SECONDS = 24 * 3600
_SALT = "transfer.export"


def export_dir() -> Path:
    folder = getattr(settings, "TRANSFER_EXPORT_DIR", None) or Path(settings.VAR_DIR) / "exports"
    return Path(folder)


def _path(org_id: int, name: str) -> Path:
    return export_dir() / str(org_id) / name


def export_prepare(*, org: Organization, fmt: str) -> str:
    """Queue the file (after the commit) and return the token of its link."""
    if fmt not in ("json", "zip"):
        raise ValueError(fmt)
    name = f"{secrets.token_hex(16)}.{fmt}"
    token = signing.dumps({"org": org.pk, "name": name}, salt=_SALT)
    from transfer import tasks

    transaction.on_commit(lambda: tasks.export_prepare.delay(org.pk, name))
    return token


def export_write(*, org: Organization, name: str) -> Path:
    """Write the file (the task's work): streamed to a temporary name, then renamed, so a
    half-written file is never served."""
    path = _path(org.pk, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    _prune(path.parent)
    partial = path.with_suffix(path.suffix + ".part")
    try:
        with partial.open("wb") as out:
            if name.endswith(".zip"):
                out.write(document_zip(organization_document(org=org, exported_at=timezone.now())))
            else:
                for chunk in stream_json(org, exported_at=timezone.now()):
                    out.write(chunk)
    except BaseException:  # out of time (the task's soft limit) or any failure: no half file left
        partial.unlink(missing_ok=True)
        raise
    partial.rename(path)
    return path


def _prune(folder: Path) -> None:
    cutoff = time.time() - EXPORT_LINK_SECONDS
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)


class LinkExpired(Exception):
    pass


def export_file(*, org: Organization, token: str) -> Path | None:
    """The prepared file of a token for this organisation: None while it is being written;
    ``LinkExpired`` when the token is old, forged or another organisation's."""
    try:
        payload: Any = signing.loads(token, salt=_SALT, max_age=EXPORT_LINK_SECONDS)
    except signing.BadSignature:
        raise LinkExpired from None
    if not isinstance(payload, dict) or payload.get("org") != org.pk:
        raise LinkExpired
    path = _path(org.pk, str(payload.get("name", "")))
    if path.parent != _path(org.pk, "x").parent:  # a name is a file name, never a path
        raise LinkExpired
    return path if path.exists() else None
