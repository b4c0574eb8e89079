"""Selectors behind the charts, checked against plain-Python recomputation."""

from __future__ import annotations

import numpy as np
import pytest

from kefu.analytics import selectors, services
from kefu.analytics.models import AnalyticsSettings, CustomerValueSnapshot
from kefu.analytics.pareto import pareto
from kefu.analytics.tests.factories import AS_OF, make_customers, make_data

pytestmark = pytest.mark.django_db


def test_tier_migration_matches_a_hand_crosstab():
    make_data(30)
    first = services.analytics_refresh(actor=None, as_of=AS_OF)
    row = AnalyticsSettings.current()
    services.analytics_settings_update(
        actor=None,
        expected_version=row.version,
        changes={"tier_cutoffs": [0.3, 0.5, 0.9], "tier_basis": "historic_value"},
    )
    newcomer = make_customers(1)[0]  # only in the second run
    second = services.analytics_refresh(actor=None, as_of=AS_OF)
    before = dict(
        CustomerValueSnapshot.objects.filter(run=first).values_list("customer_id", "tier")
    )
    after = dict(
        CustomerValueSnapshot.objects.filter(run=second).values_list("customer_id", "tier")
    )
    labels = ["A", "B", "C", "D", ""]
    expected = np.zeros((5, 5), dtype=int)
    for customer in set(before) | set(after):
        expected[labels.index(before.get(customer, "")), labels.index(after.get(customer, ""))] += 1
    matrix = selectors.tier_migration(first, second)
    assert (matrix == expected).all()
    assert matrix[4].sum() == 1 and after[newcomer.pk] in "ABCD"
    assert matrix.sum() - np.trace(matrix) > 0  # the new cut-offs moved someone


def test_pareto_figures_and_quadrant():
    make_data(30)
    run = services.analytics_refresh(actor=None, as_of=AS_OF)
    values = [
        float(v)
        for v in CustomerValueSnapshot.objects.filter(run=run).values_list(
            "historic_value", flat=True
        )
    ]
    figures = selectors.pareto_figures(run)
    assert figures.gini_revenue == pytest.approx(pareto(values).gini)
    assert figures.revenue_share[20] == pytest.approx(pareto(values).share_of_top(0.2))
    quadrant = selectors.profitability_quadrant(run)
    assert sum(quadrant.counts.values()) == 31
    assert quadrant.value_split == pytest.approx(float(np.median(values)))
