"""English and Vietnamese: every string translated, the compiled catalogue in step, the right language chosen."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest

PO = Path(__file__).resolve().parents[2] / "locale" / "vi" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def parse_po(path: Path) -> list[dict]:
    """A small .po reader: entries with msgid, msgid_plural, msgstr[...] and flags."""
    entries: list[dict] = []
    current: dict = {}
    key = None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if current.get("msgid") is not None:
                entries.append(current)
            current, key = {}, None
            continue
        if line.startswith("#,"):
            current.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            current[key] = ast.literal_eval(value)
    return entries


@pytest.fixture(scope="module")
def entries() -> list[dict]:
    return [e for e in parse_po(PO) if e["msgid"]]  # skip the header


def test_every_string_is_translated_and_none_is_fuzzy(entries):
    assert len(entries) > 100
    untranslated = [e["msgid"] for e in entries if not (e.get("msgstr") or e.get("msgstr[0]"))]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e.get("flags", set())]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogue_matches_the_po_file(entries):
    catalogue = gettext.GNUTranslations(MO.open("rb"))
    stale = []
    for e in entries:
        if "msgid_plural" in e:
            got = catalogue.ngettext(e["msgid"], e["msgid_plural"], 1)
            want = e["msgstr[0]"]
        elif "msgctxt" in e:
            got = catalogue.pgettext(e["msgctxt"], e["msgid"])
            want = e["msgstr"]
        else:
            got = catalogue.gettext(e["msgid"])
            want = e["msgstr"]
        if got != want:
            stale.append(e["msgid"])
    assert stale == [], "run: make messages (compilemessages)"


def test_placeholders_survive_translation(entries):
    import re

    pattern = re.compile(r"%\(\w+\)[sdif]|%[sdif]")
    broken = [
        e["msgid"]
        for e in entries
        if sorted(pattern.findall(e["msgid"])) != sorted(pattern.findall(e.get("msgstr") or e.get("msgstr[0]") or ""))
    ]
    assert broken == []


@pytest.mark.django_db
def test_a_vietnamese_user_gets_vietnamese_pages(world_a, client):
    world_a.member.language = "vi"
    world_a.member.save()
    client.force_login(world_a.member)
    html = client.get("/o/alpha/teams/").content.decode()
    assert 'lang="vi"' in html and "Nhóm" in html


@pytest.mark.django_db
def test_the_organisation_language_is_the_default(world_a, client):
    world_a.org.language = "vi"
    world_a.org.save()
    client.force_login(world_a.admin)  # no language of their own
    assert 'lang="vi"' in client.get("/o/alpha/").content.decode()
    world_a.admin.language = "en"
    world_a.admin.save()
    assert 'lang="en"' in client.get("/o/alpha/").content.decode()
