"""Take headless-Chromium screenshots of Kefu pages in both languages (for a human to look at).

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 / /settings/audit/ ...

Signs in as the demo `admin` (override with KEFU_SHOT_USER / KEFU_SHOT_PASSWORD) and writes
test-artifacts/screens/<lang>-<width>-<page>.png.
"""

import os
import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("KEFU_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIZES = [(1440, 900), (390, 844)]


def main(base: str, paths: list[str]) -> None:
    out = Path(os.environ.get("KEFU_SHOT_DIR", "test-artifacts/screens"))
    out.mkdir(parents=True, exist_ok=True)
    user = os.environ.get("KEFU_SHOT_USER", "admin")
    password = os.environ.get("KEFU_SHOT_PASSWORD", "kefu-demo-2026")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for lang in ("en", "zh-hans"):
            for width, height in SIZES:
                context = browser.new_context(viewport={"width": width, "height": height})
                context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
                page = context.new_page()
                page.goto(f"{base}/accounts/login/")
                page.screenshot(path=out / f"{lang}-{width}-login.png")
                page.fill("#id_username", user)
                page.fill("#id_password", password)
                page.click("button[type=submit]")
                context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
                for path in paths:
                    page.goto(base + path)
                    name = re.sub(r"[^a-z0-9]+", "-", path.strip("/").lower()) or "home"
                    page.screenshot(path=out / f"{lang}-{width}-{name}.png", full_page=True)
        browser.close()
    print(f"screenshots in {out}/")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:] or ["/"])
