"""Browser journeys: Playwright driving Debian's Chromium against a live Kefu server.

Each journey asserts what a person sees. Screenshots land in test-artifacts/journeys/ so a
failing CI run shows the screen. Without /usr/bin/chromium the journeys are skipped with a loud
reason on a laptop, and fail in CI (CI=true installs chromium first, see .ci/run).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are
# still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("KEFU_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "journeys"
PASSWORD = "pw-Correct-Horse-1"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        return  # the journeys will fail at launch: CI must install chromium
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: browser journeys NOT run")
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def chromium(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield browser
    browser.close()


@pytest.fixture
def open_page(chromium, live_server, request):
    """open_page(width=1440, height=900, language="en") → a Playwright page on the live server.

    Every page opened here is screenshotted at the end of the test (and on failure).
    """
    contexts = []

    def factory(*, width: int = 1440, height: int = 900, language: str = "en"):
        context = chromium.new_context(
            viewport={"width": width, "height": height}, base_url=live_server.url
        )
        context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        page = context.new_page()
        page.set_default_timeout(30_000)  # generous: CI machines have two cores
        contexts.append((context, page, f"{language}-{width}"))
        return page

    yield factory
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    for context, page, suffix in contexts:
        try:
            page.screenshot(path=ARTIFACTS / f"{name}-{suffix}.png", full_page=True)
        finally:
            context.close()


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


# Words that may stay in English on a Chinese page: names, codes, brands and units.
ALLOWED_LATIN = {
    "kefu",
    "api",
    "sla",
    "vip",
    "csat",
    "nps",
    "ces",
    "kpi",
    "aht",
    "fcr",
    "asa",
    "clv",
    "rfm",
    "qa",
    "pdca",
    "csv",
    "excel",
    "xlsx",
    "pdf",
    "id",
    "email",
    "wechat",
    "cny",
    "english",
    "url",
    "admin",
    "ok",
    "servqual",
    "rater",
    "csi",
    "bg",
    "nbd",
    "gini",
    "dpmo",
    "abcd",
    "lspcas",
    "iana",
    "ianar",
    "ai",
    "sms",
    "ivr",
    "cti",
    "pii",
    "erlang",
    "it",
    "https",
    "http",
    "www",
}


def untranslated_words(page, extra_allowed=()) -> list[str]:
    """English words in the visible text of a zh-Hans page, minus names, codes and data."""
    text = page.evaluate("() => document.body.innerText")
    allowed = ALLOWED_LATIN | {w.lower() for w in extra_allowed}
    words = re.findall(r"\b[A-Za-z][a-z]{2,}\b", text)
    return sorted({w for w in words if w.lower() not in allowed})
