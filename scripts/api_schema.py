"""The published OpenAPI schema, docs/api/openapi.json, against the live one.

    .venv/bin/python scripts/api_schema.py check   # the snapshot is current, no unversioned break
    .venv/bin/python scripts/api_schema.py check --against origin/main
                                                   # ... nor against that commit's snapshot (a branch
                                                   # that rewrote the snapshot over a break)
    .venv/bin/python scripts/api_schema.py write   # regenerate the snapshot (refused on a break
                                                   # without a raised API_VERSION and changelog entry)

The snapshot is what ``manage.py spectacular --format openapi-json`` writes, byte for byte;
a breaking change (``core.schema_diff``) needs API_VERSION raised in okrkpi/settings/base.py
and a ``## <version>`` entry in docs/api/CHANGELOG.md.
"""

from __future__ import annotations

import json
import os
import subprocess
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


def published(against: str | None = None) -> dict[str, Any] | None:
    """The committed snapshot: the working tree's, or the one at the git commit ``against``;
    None when there is none yet (nothing was published to break)."""
    if against is None:
        if not SNAPSHOT.exists():
            return None
        text = SNAPSHOT.read_text(encoding="utf-8")
    else:
        where = f"{against}:{SNAPSHOT.relative_to(ROOT).as_posix()}"
        git = ["git", "show", where]  # the developer's own ref, read-only
        shown = subprocess.run(git, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603, S607
        if shown.returncode != 0:
            return None
        text = shown.stdout
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def problems(live_text: str, against: str | None = None) -> list[str]:
    """Why the live schema may not replace the published one (empty: it may)."""
    from core.schema_diff import version_problems

    baseline = published(against)
    if baseline is None:
        return []
    changelog = CHANGELOG.read_text(encoding="utf-8") if CHANGELOG.exists() else ""
    return version_problems(baseline, json.loads(live_text), changelog)


def main(argv: list[str]) -> int:
    against = argv[2] if len(argv) == 3 and argv[:2] == ["check", "--against"] else None
    if against is not None:
        argv = argv[:1]
    if len(argv) != 1 or argv[0] not in {"check", "write"}:
        print(__doc__, file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrkpi.settings.dev")
    import django

    django.setup()
    live = live_schema_text()
    found = problems(live, against)
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
    if not SNAPSHOT.exists() or SNAPSHOT.read_text(encoding="utf-8") != live:
        print(f"{SNAPSHOT.relative_to(ROOT)} is out of date: run {UPDATE_COMMAND}", file=sys.stderr)
        return 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
