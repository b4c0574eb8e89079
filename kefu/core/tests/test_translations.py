"""Every zh-Hans catalogue (the project's and each app's) is complete, compiled and keeps its
placeholders."""

import re
from pathlib import Path

import polib
import pytest

import kefu

CATALOGUES = sorted(Path(kefu.__file__).parent.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def _text(entry) -> str:
    return entry.msgstr or entry.msgstr_plural.get(0, "")


def _name(path: Path) -> str:
    return str(path.relative_to(Path(kefu.__file__).parent))


def test_the_project_catalogue_exists():
    assert any(_name(p).startswith("locale/") for p in CATALOGUES)


@pytest.mark.parametrize("po_path", CATALOGUES, ids=_name)
def test_every_string_is_translated(po_path):
    po = polib.pofile(str(po_path))
    untranslated = [
        e.msgid for e in po if not e.obsolete and not e.msgstr and not any(e.msgstr_plural.values())
    ]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags and not e.obsolete]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("po_path", CATALOGUES, ids=_name)
def test_compiled_catalogue_is_current(po_path):
    po = {
        (e.msgctxt, e.msgid): _text(e)
        for e in polib.pofile(str(po_path))
        if not e.obsolete and _text(e)
    }
    mo = {
        (e.msgctxt, e.msgid): _text(e)
        for e in polib.mofile(str(po_path.with_suffix(".mo")))
        if e.msgid
    }
    assert mo == po, "run: .venv/bin/python scripts/po_fill.py --po PATH (recompiles the .mo)"


@pytest.mark.parametrize("po_path", CATALOGUES, ids=_name)
def test_placeholders_survive_translation(po_path):
    for entry in polib.pofile(str(po_path)):
        if entry.msgstr and not entry.obsolete:
            assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(
                PLACEHOLDER.findall(entry.msgstr)
            ), entry.msgid
