import datetime as dt

import pytest


class FakeClock:
    """A controllable `django.utils.timezone.now` (tickets' timestamps and the SLA use it)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """Starts Monday 14 September 2026, 09:00 Asia/Shanghai (01:00 UTC)."""
    from django.utils import timezone

    fake = FakeClock(dt.datetime(2026, 9, 14, 1, 0, tzinfo=dt.UTC))
    monkeypatch.setattr(timezone, "now", fake)
    return fake


@pytest.fixture(autouse=True)
def _english():
    """Assertions compare English messages; the default language is Chinese."""
    from django.utils import translation

    with translation.override("en"):
        yield
