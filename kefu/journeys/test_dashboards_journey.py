"""Journey 4: a manager reads the value and workforce pages; the charts are drawn and each chart's
data table says what the API says."""

from __future__ import annotations

import pytest

from kefu.analytics import services as analytics_services
from kefu.analytics.tests.factories import AS_OF, make_data
from kefu.journeys.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

DRAWN = (
    "id => { const el = document.getElementById(id); return el && el.data ? el.data.length : 0 }"
)


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("%", "").replace("✓", "").strip())


def test_value_page_charts_match_the_api(open_page, make_user):
    make_user("manager", username="zhaomin")
    make_data(40, actor=make_user("admin"))
    analytics_services.analytics_refresh(actor=None, as_of=AS_OF)
    page = open_page()
    sign_in(page, "zhaomin")
    page.goto("/analytics/")
    page.wait_for_function("() => document.querySelector('#chart-tiers .chart-box .main-svg')")
    for key in ("value-distribution", "pareto", "tiers"):
        traces = page.evaluate(
            "key => document.querySelector(`#chart-${key} .chart-box`).data.length", key
        )
        assert traces >= 1, key

    api = page.request.get("/api/v1/analytics/summary").json()
    page.locator("#chart-tiers details.chart-table summary").click()  # the table, one click away
    table = page.locator("#chart-tiers table")
    shown = {}
    for row in table.locator("tbody tr").all():
        cells = [c.inner_text() for c in row.locator("td").all()]
        shown[cells[0]] = int(_number(cells[1]))
    expected = {tier: count for tier, count in api["tiers"].items() if count}
    assert {k: v for k, v in shown.items() if v} == expected
    assert sum(shown.values()) == api["customers"]
    headline = page.locator(".kpi").first.locator(".value").inner_text()  # "Customers"
    assert int(_number(headline)) == api["customers"]


def test_staffing_calculator_matches_the_erlang_api(open_page, make_user):
    make_user("manager", username="zhaomin")
    page = open_page()
    sign_in(page, "zhaomin")
    page.goto("/workforce/staffing/")
    page.fill("#id_volume", "240")
    page.fill("#id_aht_s", "200")
    page.fill("#id_target_percent", "80")
    page.fill("#id_answer_s", "20")
    page.fill("#id_shrinkage_percent", "30")
    page.click("form.wf-form button[type=submit]")
    page.wait_for_function(DRAWN, arg="staffing-curve")
    assert page.evaluate(DRAWN, "staffing-curve") >= 1

    token = page.evaluate("() => document.cookie.match(/csrftoken=([^;]+)/)?.[1] || ''")
    api = page.request.post(
        "/api/v1/workforce/erlang",
        data={
            "volume": 240,
            "aht_s": 200,
            "interval_s": 1800,
            "target_service_level": 0.8,
            "answer_s": 20,
            "shrinkage": 0.3,
        },
        headers={"X-CSRFToken": token},
    )
    assert api.ok, api.text()
    figures = api.json()
    required = page.locator(".kpi", has_text="Agents required").first.locator(".value")
    scheduled = page.locator(".kpi", has_text="Agents to schedule").locator(".value")
    assert int(_number(required.inner_text())) == figures["required"][0]
    assert int(_number(scheduled.inner_text())) == figures["scheduled"][0]
    highlighted = page.locator("tr.row-highlight td").all()
    assert int(_number(highlighted[0].inner_text())) == figures["required"][0]
    shown_level = _number(highlighted[1].inner_text()) / 100
    assert shown_level == pytest.approx(figures["service_level"][0], abs=0.0051)
