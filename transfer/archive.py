"""The organisation document as files: JSON, or a ZIP holding one CSV file per collection.

CSV cells go through ``core.spreadsheet`` (text that a spreadsheet would run as a
formula gets an apostrophe first); the JSON keeps every text exactly as written.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from core.spreadsheet import to_csv
from transfer.document import FIELDS, ORGANIZATION_FIELDS


def document_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1).encode()


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
