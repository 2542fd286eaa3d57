"""The English catalogue is complete, compiled, and used.

Every string marked for translation must have a checked English entry: no empty ``msgstr``, no ``#, fuzzy``.
After changing marked text run (from the repository root)
``GONGYI_DATA_DIR=/tmp/gy-i18n .venv/bin/python -m gongyi makemessages -l en --ignore='.venv/*'
--ignore='tests/*' --ignore='bench/*' --no-obsolete``, translate, then
``.venv/bin/python -m gongyi compilemessages -l en --ignore=.venv``.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

from gongyi.testing import make_project

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif%]")
KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")\s*$")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    parts: dict[str, str] = field(default_factory=dict)

    @property
    def msgid(self) -> str:
        return self.parts.get("msgid", "")

    @property
    def translations(self) -> list[str]:
        return [v for k, v in self.parts.items() if k.startswith("msgstr")]

    def where(self) -> str:
        return f"django.po:{self.line} {self.msgid!r}"


def parse_po(path: Path) -> list[Entry]:
    """The live entries of a .po file (obsolete ``#~`` ones are skipped), header excluded."""
    entries: list[Entry] = []
    current: Entry | None = None
    key = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            current, key = None, None
            continue
        if line.startswith("#~"):
            continue
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#,"):
            current.flags |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert key is not None, f"django.po:{number}: continuation line without a keyword"
            current.parts[key] += ast.literal_eval(line)
        else:
            match = KEYWORD.match(line)
            assert match, f"django.po:{number}: cannot read {raw!r}"
            key = match.group(1)
            if key in current.parts:  # a new entry without a blank line in between
                current = Entry(line=number)
                entries.append(current)
            current.parts[key] = ast.literal_eval(match.group(2))
    return [e for e in entries if "msgid" in e.parts and e.msgid != ""]


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return parse_po(PO)


def test_the_catalogue_has_entries(entries):
    assert len(entries) > 100
    assert any(e.msgid == "我要举报" for e in entries)


def test_every_entry_is_translated_and_not_fuzzy(entries):
    untranslated = [e.where() for e in entries if not e.translations or not all(t.strip() for t in e.translations)]
    fuzzy = [e.where() for e in entries if "fuzzy" in e.flags]
    assert not untranslated, f"{len(untranslated)} untranslated entries:\n" + "\n".join(untranslated)
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries (check, then remove the flag):\n" + "\n".join(fuzzy)


def test_placeholders_are_kept(entries):
    wrong = []
    for e in entries:
        wanted = sorted(PLACEHOLDER.findall(e.msgid))
        for text in e.translations:
            if sorted(PLACEHOLDER.findall(text)) != wanted:
                wrong.append(f"{e.where()} -> {text!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_compiled_catalogue_matches_the_po(entries):
    """``django.mo`` is committed; it must be rebuilt (compilemessages) whenever ``django.po`` changes."""
    with MO.open("rb") as f:
        mo = gettext.GNUTranslations(f)
    stale = []
    for e in entries:
        context = e.parts.get("msgctxt")
        if "msgid_plural" in e.parts:
            got = [
                mo.npgettext(context, e.msgid, e.parts["msgid_plural"], n)
                if context is not None
                else mo.ngettext(e.msgid, e.parts["msgid_plural"], n)
                for n in (1, 2)
            ]
            expected = [e.parts.get("msgstr[0]"), e.parts.get("msgstr[1]")]
        else:
            got = [mo.pgettext(context, e.msgid) if context is not None else mo.gettext(e.msgid)]
            expected = [e.parts.get("msgstr")]
        if got != expected:
            stale.append(f"{e.where()}: .mo has {got!r}")
    assert not stale, "django.mo is out of date; run compilemessages:\n" + "\n".join(stale[:20])


@pytest.mark.django_db
def test_complaint_pages_speak_english(client):
    english = {"headers": {"accept-language": "en"}}
    home = client.get("/oversight/complaints/", **english).content.decode()
    assert 'lang="en"' in home
    assert "Track a complaint" in home and "Complaint statistics" in home and "查询办理进度" not in home
    form = client.get("/oversight/complaints/new/", **english).content.decode()
    for text in ("File a complaint", "Your complaint", "File anonymously", "Evidence (optional)", "Submit"):
        assert text in form, text
    assert "我要举报" not in form and "举报内容" not in form


@pytest.mark.django_db
def test_the_project_page_speaks_english(client):
    project = make_project()
    page = client.get(f"/projects/{project.pk}/", headers={"accept-language": "en"}).content.decode()
    for text in ("Give now", "Fundraising plan", "Filing number", "Questions about this project? File a complaint"):
        assert text in page, text
    assert "我要捐款" not in page
