"""Fill zh-Hans msgstr entries from JSON files of {msgid: msgstr}, then compile the .mo.

    python scripts/po_fill.py [--po PATH] translations.json ...

Without --po it fills the project catalogue (kefu/locale); each app with its own catalogue
passes kefu/<app>/locale/zh_Hans/LC_MESSAGES/django.po (`make messages APP=<app>` does both
steps). Existing translations are kept unless the JSON gives a new one. Needs polib (dev extra).
"""

import argparse
import json
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PO = ROOT / "kefu/locale/zh_Hans/LC_MESSAGES/django.po"


def fill(po_path: Path, json_paths: list[str]) -> None:
    po = polib.pofile(str(po_path))
    table: dict[str, str] = {}
    for path in json_paths:
        table.update(json.loads(Path(path).read_text(encoding="utf-8")))
    filled = 0
    for entry in po:
        # A key "context\u0004msgid" (gettext's own convention) fills only that context.
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if key in table:
            if entry.msgid_plural:  # Chinese has one plural form
                entry.msgstr_plural = {0: table[key]}
            else:
                entry.msgstr = table[key]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            filled += 1
    po.metadata["Language"] = "zh_Hans"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.save(str(po_path))
    po.save_as_mofile(str(po_path.with_suffix(".mo")))
    missing = [
        e.msgid for e in po if not e.obsolete and not e.msgstr and not any(e.msgstr_plural.values())
    ]
    print(f"{po_path.relative_to(ROOT)}: filled {filled}, untranslated {len(missing)}")
    for msgid in missing[:40]:
        print("  missing:", msgid)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--po", type=Path, default=PROJECT_PO)
    parser.add_argument("json", nargs="*")
    args = parser.parse_args()
    fill(args.po.resolve(), args.json)
