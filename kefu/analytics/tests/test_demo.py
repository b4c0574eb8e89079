"""The demo loader makes two snapshots (for tier migration) and is idempotent."""

from __future__ import annotations

import random

import pytest

from kefu.analytics import demo
from kefu.analytics.models import AnalyticsRun, CustomerValueSnapshot
from kefu.analytics.tests.factories import make_data

pytestmark = pytest.mark.django_db


def test_demo_makes_two_snapshots_once():
    demo.load(scale=1, rng=random.Random(1))
    assert not AnalyticsRun.objects.exists()  # no purchases yet: nothing to show
    make_data(12)
    demo.load(scale=1, rng=random.Random(1))
    demo.load(scale=1, rng=random.Random(1))
    runs = list(AnalyticsRun.objects.order_by("as_of"))
    assert len(runs) == 2 and (runs[1].as_of - runs[0].as_of).days == 90
    assert CustomerValueSnapshot.objects.filter(run=runs[1]).count() == 13
