"""Fill zh-Hans msgstr entries from a JSON file of {msgid: msgstr}, then compile the .mo.

Used by developers after `make messages`: `python scripts/po_fill.py translations.json`.
Existing translations are kept unless the JSON gives a new one. Needs polib (dev extra).
"""

import json
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "kefu/locale/zh_Hans/LC_MESSAGES/django.po"


def main(paths: list[str]) -> None:
    po = polib.pofile(str(PO))
    table: dict[str, str] = {}
    for path in paths:
        table.update(json.loads(Path(path).read_text(encoding="utf-8")))
    filled = 0
    for entry in po:
        if entry.msgid in table:
            entry.msgstr = table[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            filled += 1
    po.metadata["Language"] = "zh_Hans"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.save(str(PO))
    po.save_as_mofile(str(PO.with_suffix(".mo")))
    missing = [e.msgid for e in po if not e.msgstr and not e.obsolete]
    print(f"filled {filled}, untranslated {len(missing)}")
    for msgid in missing[:40]:
        print("  missing:", msgid)


if __name__ == "__main__":
    main(sys.argv[1:])
