"""Screenshots of the portal as a customer sees it (390×844 and 1440×900, both languages).

    .venv/bin/python kefu/portal/tests/screenshots.py http://127.0.0.1:8104 /portal/ /portal/new/

Signs in on the portal's own sign-in page as KEFU_SHOT_USER (default `customer`) and writes
test-artifacts/screens/portal-<lang>-<width>-<page>.png. Paths under /portal/t/ are also shot
without a session. Not a test: pytest does not collect it.
"""

import os
import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("KEFU_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
SIZES = [(390, 844), (1440, 900)]


def main(base: str, paths: list[str]) -> None:
    out = Path("test-artifacts/screens")
    out.mkdir(parents=True, exist_ok=True)
    user = os.environ.get("KEFU_SHOT_USER", "customer")
    password = os.environ.get("KEFU_SHOT_PASSWORD", "kefu-demo-2026")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for lang in ("en", "zh-hans"):
            for width, height in SIZES:
                context = browser.new_context(viewport={"width": width, "height": height})
                context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
                page = context.new_page()
                page.goto(f"{base}/portal/login/")
                page.screenshot(path=out / f"portal-{lang}-{width}-login.png", full_page=True)
                page.fill("#id_login", user)
                page.fill("#id_password", password)
                page.click("form:has(#id_password) button[type=submit]")
                context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
                for path in paths:
                    page.goto(base + path)
                    name = re.sub(r"[^a-z0-9]+", "-", path.strip("/").lower())[:40] or "home"
                    page.screenshot(path=out / f"portal-{lang}-{width}-{name}.png", full_page=True)
                context.close()
        browser.close()
    print(f"screenshots in {out}/")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:] or ["/portal/"])
