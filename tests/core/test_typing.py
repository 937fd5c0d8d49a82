"""The rule for silencing mypy (CONTRIBUTING.md, "Tooling"): a ``type: ignore`` names
the error codes it silences and says why on the same line,

    value = thing.attr  # type: ignore[attr-defined]  # set by the prefetch in selectors

so that ``warn_unused_ignores`` can tell when it is no longer needed and a reader
knows what it hides. The ignores written before the rule carry a code but no reason;
their number may only go down."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {".venv", "var", "static", "node_modules", ".git", "build"}

# Ignores written before the rule (a code, no reason). Lower this when you remove some.
LEGACY_WITHOUT_REASON = 86

IGNORE = re.compile(r"#\s*type:\s*ignore\b(?P<codes>\[[^\]]*\])?(?P<rest>.*)$")
CODES = re.compile(r"\[[a-z][a-z0-9-]*(?:,\s*[a-z][a-z0-9-]*)*\]")
REASON = re.compile(r"^\s+#\s*\S")


def _python_files() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.py")
        if not SKIPPED.intersection(path.relative_to(ROOT).parts[:-1]) and path != Path(__file__).resolve()
    ]


def _ignores() -> list[tuple[str, str, str]]:
    """(where, codes, what follows) of every ``type: ignore`` comment in the project."""
    found = []
    for path in _python_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = IGNORE.search(line)
            if match:
                found.append((f"{path.relative_to(ROOT)}:{number}", match["codes"] or "", match["rest"]))
    return found


def test_the_scan_sees_the_project() -> None:
    files = {str(path.relative_to(ROOT)) for path in _python_files()}
    assert "core/ids.py" in files
    assert not any(name.startswith(".venv") for name in files)


def test_every_type_ignore_names_its_error_codes() -> None:
    bare = [where for where, codes, _rest in _ignores() if not CODES.fullmatch(codes)]
    assert not bare, f"a type: ignore without an error code ([attr-defined], ...): {bare}"


def test_every_new_type_ignore_says_why() -> None:
    without_reason = [where for where, codes, rest in _ignores() if codes and not REASON.match(rest)]
    assert len(without_reason) <= LEGACY_WITHOUT_REASON, (
        f"{len(without_reason)} type: ignore comments give no reason, more than the "
        f"{LEGACY_WITHOUT_REASON} written before the rule. Fix the cause, or say why on the "
        f"same line: '# type: ignore[code]  # why'. Without a reason: {without_reason}"
    )


def test_the_rule_reads_the_comment_as_written() -> None:
    def reasoned(line: str) -> bool:
        match = IGNORE.search(line)
        return bool(match and CODES.fullmatch(match["codes"] or "") and REASON.match(match["rest"]))

    assert reasoned("x = y.z  # type: ignore[attr-defined]  # set by the prefetch")
    assert reasoned("x = y.z  # type: ignore[attr-defined, union-attr]  # set by the prefetch")
    assert not reasoned("x = y.z  # type: ignore[attr-defined]")
    assert not reasoned("x = y.z  # type: ignore  # no code")
    assert not reasoned("x = y.z  # type: ignore[attr-defined] — a dash is not a comment")
