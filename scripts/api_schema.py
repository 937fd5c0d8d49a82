"""The published OpenAPI schema, docs/api/openapi.json, against the live one.

    .venv/bin/python scripts/api_schema.py check   # the snapshot is current, no unversioned break
    .venv/bin/python scripts/api_schema.py write   # regenerate the snapshot (refused on a break
                                                   # without a raised API_VERSION and changelog entry)

The snapshot is what ``manage.py spectacular --format openapi-json`` writes, byte for byte;
a breaking change (``core.schema_diff``) needs API_VERSION raised in okrkpi/settings/base.py
and a ``## <version>`` entry in docs/api/CHANGELOG.md.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "docs" / "api" / "openapi.json"
CHANGELOG = ROOT / "docs" / "api" / "CHANGELOG.md"
UPDATE_COMMAND = ".venv/bin/python scripts/api_schema.py write"


def live_schema_text() -> str:
    """The schema as ``manage.py spectacular --format openapi-json`` writes it."""
    from django.core.management import call_command

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "openapi.json"
        call_command("spectacular", format="openapi-json", file=str(target))
        return target.read_text(encoding="utf-8")


def published() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return loaded


def problems(live_text: str) -> list[str]:
    """Why the live schema may not replace the published one (empty: it may)."""
    from core.schema_diff import version_problems

    changelog = CHANGELOG.read_text(encoding="utf-8") if CHANGELOG.exists() else ""
    return version_problems(published(), json.loads(live_text), changelog)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in {"check", "write"}:
        print(__doc__, file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrkpi.settings.dev")
    import django

    django.setup()
    live = live_schema_text()
    found = problems(live) if SNAPSHOT.exists() else []
    for line in found:
        print(line, file=sys.stderr)
    if argv[0] == "write":
        if found:
            print("not written: raise API_VERSION and add its changelog entry first", file=sys.stderr)
            return 1
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(live, encoding="utf-8")
        print(f"wrote {SNAPSHOT.relative_to(ROOT)}")
        return 0
    if SNAPSHOT.read_text(encoding="utf-8") != live:
        print(f"{SNAPSHOT.relative_to(ROOT)} is out of date: run {UPDATE_COMMAND}", file=sys.stderr)
        return 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
