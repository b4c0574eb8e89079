import random

import pytest

from kefu.accounts import demo as accounts_demo
from kefu.customers import demo as customers_demo
from kefu.surveys import demo, selectors
from kefu.surveys.models import Response, Survey

pytestmark = pytest.mark.django_db


def test_demo_surveys_have_results_and_load_twice_safely():
    rng = random.Random(7)
    accounts_demo.load(scale=1, rng=rng, stdout=None)
    customers_demo.load(scale=1, rng=rng, stdout=None)
    demo.load(scale=1, rng=rng)
    responses = Response.objects.count()
    assert Survey.objects.count() == 5 and responses >= 700
    csat = Survey.objects.get(public_key="demo-csat")
    assert csat.auto_rule.enabled and csat.auto_rule.sampling_percent == 50
    results = selectors.survey_results(csat)
    assert 40 < results.csat.csat < 95 and len(results.trend) >= 5
    assert {"team", "channel", "agent"} <= set(results.breakdowns)
    servqual = selectors.survey_results(Survey.objects.get(public_key="demo-servqual"))
    gaps = servqual.servqual["dimensions"]
    assert gaps["reliability"] < gaps["tangibles"] < 0  # the planted shortfalls
    assert abs(sum(servqual.servqual["points"].values()) - 100) < 1e-6
    demo.load(scale=1, rng=rng)
    assert Response.objects.count() == responses
