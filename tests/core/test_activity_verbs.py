"""Every verb the code logs to the activity log reads as words, in English and in
Vietnamese, never as its code ("comment.create"): the Activity page, the dashboard's
feed and the digests show ``verb_label``, which falls back to the code itself.

The verbs are found in the source: every string literal on a line that names a verb
(``verb="kpi.created"``, ``verb = "objective.activated" if … else "objective.closed"``),
and the security events' short names, which ``identity.services.security`` prefixes."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

from core.templatetags.okr import VERB_LABELS, verb_label

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".venv", "tests", "migrations", "node_modules", "build"}
DOTTED = re.compile(r"[\"']([a-z_]+\.[a-z_]+)[\"']")
SECURITY_SHORT = re.compile(r"verb=[\"']([a-z_]+)[\"']")


def logged_verbs() -> dict[str, str]:
    """{verb: the file that logs it}."""
    found: dict[str, str] = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if SKIP & set(rel.parts):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if "verb" not in line or line.lstrip().startswith(("import ", "from ")):
                continue
            for verb in DOTTED.findall(line):
                if not verb.startswith(("self.", "request.", "settings.")):
                    found.setdefault(verb, str(rel))
            if rel.parts[0] == "identity":
                for short in SECURITY_SHORT.findall(line):
                    found.setdefault(f"security.{short}", str(rel))
    return found


def test_the_scan_finds_the_verbs_it_must() -> None:
    verbs = logged_verbs()
    # One of each way a verb is written: a literal, a conditional, a security short name.
    assert {
        "key_result.checked_in",
        "comment.create",
        "contribution.created",
        "import.applied",
        "security.scim_token_created",
    } <= set(verbs)
    assert len(verbs) > 60


def test_every_logged_verb_has_a_sentence_in_both_languages() -> None:
    verbs = logged_verbs()
    missing = {verb: where for verb, where in verbs.items() if verb not in VERB_LABELS}
    assert not missing, f"activity verbs without a label in core/templatetags/okr.py VERB_LABELS: {missing}"
    untranslated = []
    with translation.override("vi"):
        for verb in verbs:
            vi = verb_label(verb)
            with translation.override("en"):
                en = verb_label(verb)
            if vi in (en, verb):
                untranslated.append(verb)
    assert not untranslated, f"activity verbs without a Vietnamese label: {untranslated}"
