"""Every verb the code can log to the activity log reads as a sentence, in English and in
Vietnamese, never as its code ("comment.create"), a user id or an English word in a
Vietnamese line: the Activity page, the dashboard's feed and the objective's history show
``activity.sentences.sentence``.

The verbs are found in the source, not listed by hand: every call of a function that logs
(``activity_record``, ``orgs.audit.audit``, the security events, an ``ActivityEntry`` built
for a bulk insert — and any function that passes its own ``verb`` parameter on to one of
them, found the same way) and the value of its ``verb`` argument: a literal, a conditional,
a name assigned in the same function (``verb = {...}.get(status, "objective.status_changed")``)
or a prefix added to a wrapper's parameter (``SECURITY_PREFIX + verb``). A verb the scan
cannot read fails too, so a new way of logging cannot slip past."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import translation

from activity.sentences import FALLBACK, SENTENCES, sentence, sentence_text

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".venv", "tests", "migrations", "node_modules", "build", "scripts"}
LOGGERS = {"activity_record": "", "audit": "", "ActivityEntry": ""}
PREFIXES = {"SECURITY_PREFIX": "security."}


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _strings(node: ast.AST) -> set[str]:
    """The string literals of an expression, leaving out a dict's keys (``{status: verb}``)."""
    keys = {id(k) for n in ast.walk(node) if isinstance(n, ast.Dict) for k in n.keys}
    return {
        n.value
        for n in ast.walk(node)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in keys
    }


class _Scan(ast.NodeVisitor):
    """One file: the verbs of its logging calls, and the wrappers it defines."""

    def __init__(self, rel: str, found: dict[str, str], unread: list[str], wrappers: dict[str, str]) -> None:
        self.rel, self.found, self.unread, self.wrappers = rel, found, unread, wrappers
        self.function: ast.FunctionDef | None = None

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        outer, self.function = self.function, node
        self.generic_visit(node)
        self.function = outer

    def _params(self) -> set[str]:
        if self.function is None:
            return set()
        args = self.function.args
        return {a.arg for a in [*args.args, *args.kwonlyargs, *args.posonlyargs]}

    def _assigned(self, name: str) -> list[ast.expr]:
        """What the function assigns to ``name``: ``verb = …`` or ``action, verb = …, …``."""
        values: list[ast.expr] = []
        for n in ast.walk(self.function or ast.Module(body=[], type_ignores=[])):
            for target in n.targets if isinstance(n, ast.Assign) else []:
                if isinstance(target, ast.Name) and target.id == name:
                    values.append(n.value)
                elif isinstance(target, ast.Tuple) and isinstance(n.value, ast.Tuple):
                    values += [
                        v for t, v in zip(target.elts, n.value.elts, strict=False) if getattr(t, "id", None) == name
                    ]
        return values

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        prefix = LOGGERS.get(_name(node.func))
        verb = next((k.value for k in node.keywords if k.arg == "verb"), None)
        if prefix is None or verb is None:
            return
        where = f"{self.rel}:{node.lineno}"
        if isinstance(verb, ast.BinOp) and isinstance(verb.left, ast.Name) and verb.left.id in PREFIXES:
            prefix, verb = prefix + PREFIXES[verb.left.id], verb.right
        if isinstance(verb, ast.Name) and verb.id in self._params() and self.function is not None:
            self.wrappers[self.function.name] = prefix  # passes its caller's verb on
            return
        values = [verb] if not isinstance(verb, ast.Name) else self._assigned(verb.id)
        strings = set().union(*(_strings(v) for v in values)) if values else set()
        if not strings:
            self.unread.append(where)
        for s in strings:
            self.found.setdefault(prefix + s, where)


@functools.cache
def logged_verbs() -> dict[str, str]:
    """{verb: where it is logged}; fails on a logging call whose verb cannot be read."""
    trees = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if not SKIP & set(rel.parts):
            trees.append((str(rel), ast.parse(path.read_text(encoding="utf-8"))))
    found: dict[str, str] = {}
    while True:  # until no new wrapper turns up
        unread: list[str] = []
        wrappers: dict[str, str] = {}
        for rel, tree in trees:
            _Scan(rel, found, unread, wrappers).visit(tree)
        if set(wrappers) <= set(LOGGERS):
            break
        LOGGERS.update(wrappers)
    assert not unread, f"activity logged with a verb the scan cannot read: {unread}"
    return found


# What every sentence is tried with: an entry naming its target, whose thing it was and how.
FULL = {"owner_name": "Maria", "emoji": "🎉", "check_in": 7, "comment": None, "file": "okrs.csv", "about": "Grow"}
SHAPES = [FULL, {**FULL, "comment": 9, "check_in": None}, {"about": "Grow"}, {"check_in": 7, "comment": None}, {}]


def _entry(verb: str, after: dict[str, object]) -> SimpleNamespace:
    return SimpleNamespace(
        verb=verb,
        actor=SimpleNamespace(display_name="Sam"),
        target_type="objectives.objective",
        target_repr="Grow revenue",
        before=None,
        after=after,
    )


def test_the_scan_finds_the_verbs_it_must() -> None:
    verbs = logged_verbs()
    # One of each way a verb is written: a literal, a conditional, a name, a wrapper's prefix.
    assert {
        "key_result.checked_in",
        "comment.create",
        "reaction.add",
        "check_in.acknowledge",
        "retrospective.commented",
        "objective.status_changed",
        "cycle.reopened",
        "measurements.imported",
        "security.scim_user_deactivated",
        "security.two_factor_optional",
        "security.sessions_ended",
    } <= set(verbs)
    assert len(verbs) > 80


def test_every_logged_verb_has_a_sentence() -> None:
    missing = {verb: where for verb, where in logged_verbs().items() if verb not in SENTENCES}
    assert not missing, f"activity verbs without a sentence in activity/sentences.py SENTENCES: {missing}"


@pytest.mark.parametrize("language", ["en", "vi"])
def test_every_sentence_reads_as_words_in_both_languages(language: str) -> None:
    with translation.override(language):
        fallback = str(FALLBACK) % {"actor": "Sam"}
    bad = []
    for verb in sorted(set(logged_verbs()) | set(SENTENCES)):
        for after in SHAPES:
            entry = _entry(verb, after)
            with translation.override("en"):
                english = sentence_text(entry)
            with translation.override(language):
                text, html = sentence_text(entry), str(sentence(entry, 3))
            problems = [
                text == fallback and "fallback",
                verb in text and "code",
                re.search(r"\d", text) and "a number",
                "%(" in text and "a placeholder",
                "Sam" not in text and verb != "security.sso_login_failed" and "no actor",
                "<strong>Sam</strong>" not in html and verb != "security.sso_login_failed" and "no bold actor",
                language == "vi" and text == english and "untranslated",
            ]
            bad += [f"{verb} {after}: {p}: {text!r}" for p in problems if p]
    assert not bad, "\n".join(bad)


def test_reactions_and_acknowledgements_name_whose_check_in_it_was() -> None:
    with translation.override("en"):
        assert sentence_text(_entry("reaction.add", FULL)) == "Sam reacted 🎉 to Maria's check-in"
        assert sentence_text(_entry("check_in.acknowledge", FULL)) == "Sam acknowledged Maria's check-ins"
    with translation.override("vi"):
        assert sentence_text(_entry("reaction.add", FULL)) == "Sam đã thả 🎉 cho lần cập nhật của Maria"


def test_names_are_escaped_and_an_unknown_verb_still_reads_as_a_sentence() -> None:
    entry = _entry("objective.created", {})
    entry.target_repr = "<b>Grow</b>"
    assert "&lt;b&gt;Grow&lt;/b&gt;" in str(sentence(entry))
    with translation.override("en"):
        assert sentence_text(_entry("nothing.known", {})) == "Sam made a change"
