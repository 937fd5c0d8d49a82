"""The organisation document as files: JSON, or a ZIP holding one CSV file per collection.

CSV cells go through ``core.spreadsheet`` (text that a spreadsheet would run as a
formula gets an apostrophe first); the JSON keeps every text exactly as written.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from core.spreadsheet import to_csv
from orgs.models import Organization
from transfer.document import FIELDS, ORGANIZATION_FIELDS, document_parts


def document_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1).encode()


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def stream_json(org: Organization, *, exported_at: datetime) -> Iterator[bytes]:
    """The same document, written as it is read, collection by collection and row by row
    (a large organisation never sits in memory whole)."""
    head, collections = document_parts(org=org, exported_at=exported_at)
    yield _dumps(head)[:-1].encode()
    for name, rows in collections.items():
        yield f", {_dumps(name)}: [".encode()
        for n, row in enumerate(rows):
            yield (", " if n else "").encode() + _dumps(row).encode()
        yield b"]"
    yield b"}"


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def document_zip(document: dict[str, Any]) -> bytes:
    """``organization.csv`` (field, value), ``manifest.json`` (format and version) and one
    ``<collection>.csv`` per collection, its header the collection's fields."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        manifest = {k: document[k] for k in ("format", "version", "exported_at")}
        zf.writestr("manifest.json", json.dumps(manifest, indent=1))
        org = document["organization"]
        zf.writestr(
            "organization.csv", to_csv([("field", "value"), *((f, _cell(org[f])) for f in ORGANIZATION_FIELDS)])
        )
        for collection, fields in FIELDS.items():
            rows = [[_cell(row[f]) for f in fields] for row in document[collection]]
            zf.writestr(f"{collection}.csv", to_csv([list(fields), *rows]))
    return out.getvalue()
