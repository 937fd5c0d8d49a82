"""The published schema, docs/api/openapi.json, is the live one, and the live one breaks
no client of it unless API_VERSION was raised with a changelog entry (scripts/api_schema.py,
core.schema_diff)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from django.conf import settings as django_settings
from drf_spectacular.settings import spectacular_settings

from objectives.api.check_ins import CheckInSerializer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def api_schema() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_schema", ROOT / "scripts" / "api_schema.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_committed_schema_is_the_live_one(api_schema: ModuleType) -> None:
    live = api_schema.live_schema_text()
    committed = api_schema.SNAPSHOT.read_text(encoding="utf-8")
    assert committed == live, (
        f"docs/api/openapi.json is out of date with the API: run `{api_schema.UPDATE_COMMAND}` "
        "(it refuses a breaking change until API_VERSION is raised with a docs/api/CHANGELOG.md entry)"
    )


def test_the_generated_schema_is_deterministic(api_schema: ModuleType) -> None:
    assert api_schema.live_schema_text() == api_schema.live_schema_text()


def test_the_live_schema_breaks_no_client_of_the_committed_one(api_schema: ModuleType) -> None:
    assert api_schema.problems(api_schema.live_schema_text()) == []


def test_the_schema_version_is_the_api_version_and_has_a_changelog_entry(api_schema: ModuleType) -> None:
    version = django_settings.API_VERSION
    assert json.loads(api_schema.live_schema_text())["info"]["version"] == version
    assert f"\n## {version}\n" in api_schema.CHANGELOG.read_text(encoding="utf-8")


def test_removing_a_field_from_the_api_fails_the_check(api_schema: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(CheckInSerializer._declared_fields, "note")
    found = api_schema.problems(api_schema.live_schema_text())
    assert any("POST /api/v1/orgs/{slug}/check-ins/ request.note: request field removed" in f for f in found), found
    assert any("201.note: response field removed" in f for f in found), found
    assert any("not raised above" in f for f in found), found


def test_a_raised_version_with_its_changelog_entry_lets_the_break_through(
    api_schema: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delitem(CheckInSerializer._declared_fields, "note")
    monkeypatch.setattr(spectacular_settings, "VERSION", "2.0.0")  # API_VERSION raised
    live = api_schema.live_schema_text()
    assert json.loads(live)["info"]["version"] == "2.0.0"
    changelog = tmp_path / "CHANGELOG.md"
    monkeypatch.setattr(api_schema, "CHANGELOG", changelog)
    changelog.write_text("# API changelog\n\n## 1.0.0\n\nFirst.\n", encoding="utf-8")
    assert any("no '## 2.0.0' entry" in f for f in api_schema.problems(live))
    changelog.write_text("# API changelog\n\n## 2.0.0\n\nCheck-ins lose `note`.\n\n## 1.0.0\n", encoding="utf-8")
    assert api_schema.problems(live) == []


def test_check_against_a_commit_reads_that_commits_snapshot(
    api_schema: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A branch that rewrote the snapshot over a break is caught against the base branch's."""
    live = api_schema.live_schema_text()
    base = json.loads(live)
    base["paths"]["/api/v1/gone/"] = {"get": {"responses": {"200": {"description": ""}}}}
    shown: list[list[str]] = []

    def git_show(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        shown.append(command)
        return subprocess.CompletedProcess(command, 0, stdout=json.dumps(base), stderr="")

    monkeypatch.setattr(api_schema.subprocess, "run", git_show)
    found = api_schema.problems(live, against="origin/main")
    assert shown == [["git", "show", "origin/main:docs/api/openapi.json"]]
    assert "BREAKING /api/v1/gone/: path removed" in found

    monkeypatch.setattr(
        api_schema.subprocess, "run", lambda command, **kwargs: subprocess.CompletedProcess(command, 128, "", "")
    )
    assert api_schema.problems(live, against="a-commit-before-the-snapshot") == []
