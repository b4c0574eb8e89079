"""The zh-Hans catalogue is complete and its compiled .mo matches the .po."""

from pathlib import Path

import polib

import kefu

PO = Path(kefu.__file__).parent / "locale/zh_Hans/LC_MESSAGES/django.po"


def test_every_string_is_translated():
    po = polib.pofile(str(PO))
    untranslated = [
        e.msgid for e in po if not e.obsolete and (not e.msgstr and not e.msgstr_plural)
    ]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags and not e.obsolete]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogue_is_current():
    po = {e.msgid: e.msgstr for e in polib.pofile(str(PO)) if not e.obsolete and e.msgstr}
    mo = {e.msgid: e.msgstr for e in polib.mofile(str(PO.with_suffix(".mo"))) if e.msgid}
    assert mo == po, "run: .venv/bin/python scripts/po_fill.py (recompiles the .mo)"


def test_placeholders_survive_translation():
    import re

    pattern = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
    for entry in polib.pofile(str(PO)):
        if entry.msgstr and not entry.obsolete:
            assert sorted(pattern.findall(entry.msgid)) == sorted(pattern.findall(entry.msgstr)), (
                entry.msgid
            )
