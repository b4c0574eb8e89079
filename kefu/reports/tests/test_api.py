"""API: the whitelist, the pivot endpoint (400 naming the field on anything else), saved
reports, dashboard, churn risk and the revenue-at-risk list."""

from __future__ import annotations

import json

import pytest

from kefu.reports import services
from kefu.reports.tests.churn_data import load_simulated
from kefu.reports.tests.factories import make_tickets

pytestmark = pytest.mark.django_db


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_pivot_endpoint_and_whitelist(api_client):
    client, _user = api_client("supervisor")
    rows = make_tickets(20)
    fields = client.get("/api/v1/reports/pivot/fields").json()
    assert (
        "category_1" in fields["tickets"]["dimensions"] and "p90" in fields["tickets"]["aggregates"]
    )
    body = _post(
        client,
        "/api/v1/reports/pivot",
        {
            "dimensions": ["kind"],
            "measures": ["count:tickets", "mean:amount_involved"],
        },
    ).json()
    counts = {r[0]: r[1] for r in body["rows"]}
    assert counts == {k: sum(1 for r in rows if r.kind == k) for k in ("complaint", "inquiry")}
    assert body["labels"] == [["Complaint"], ["Inquiry"]] or body["labels"][0][0]
    assert [c["key"] for c in body["columns"]] == ["kind", "count:tickets", "mean:amount_involved"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"dimensions": ["subject"]}, "dimensions"),
        ({"dimensions": ["1=1); DROP TABLE auth_user; --"]}, "dimensions"),
        ({"measures": ["sum:customer__user__password"]}, "measures"),
        ({"filters": {"customer__user__password": ["x"]}}, "filters.customer__user__password"),
        ({"dataset": "django_session"}, "dataset"),
    ],
)
def test_pivot_endpoint_rejects_injection_with_400(api_client, body, field):
    client, _user = api_client("supervisor")
    response = _post(client, "/api/v1/reports/pivot", body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_agents_cannot_run_reports(api_client):
    client, _user = api_client("agent")
    assert _post(client, "/api/v1/reports/pivot", {}).status_code == 403
    assert client.get("/api/v1/reports/saved").status_code == 403


def test_saved_reports_api_and_query_count(api_client, django_assert_max_num_queries):
    client, user = api_client("supervisor")
    created = _post(
        client,
        "/api/v1/reports/saved",
        {
            "name": "By kind",
            "spec": {"dimensions": ["kind"]},
            "schedule": "monthly",
            "recipients": ["x@example.com"],
        },
    )
    assert created.status_code == 201 and created.json()["schedule"] == "monthly"
    bad = _post(client, "/api/v1/reports/saved", {"name": "x", "spec": {}, "recipients": ["nope"]})
    assert bad.status_code == 422 and "recipients" in bad.json()["error"]["fields"]
    for i in range(5):
        services.saved_report_create(actor=user, name=f"r{i}", spec={"dimensions": ["kind"]})
    with django_assert_max_num_queries(6):
        listing = client.get("/api/v1/reports/saved").json()
    assert listing["count"] == 6
    report_id = created.json()["id"]
    assert client.delete(f"/api/v1/reports/saved/{report_id}").status_code == 204


def test_dashboard_endpoint(api_client):
    client, _user = api_client("manager")
    make_tickets(10)
    body = client.get("/api/v1/reports/dashboard").json()
    keys = [c["key"] for c in body["cards"]]
    assert {
        "tickets_created",
        "complaints",
        "backlog",
        "sla_compliance",
        "csat",
        "nps",
        "compensation_amount",
        "revenue_at_risk",
    } <= set(keys)


def test_churn_risk_endpoints(api_client, make_user):
    client, _user = api_client("manager")
    _sim, customers, as_of = load_simulated(300, seed=21)
    assert client.get(f"/api/v1/reports/customers/{customers[0].pk}/churn-risk").status_code == 404
    services.churn_model_train(actor=make_user("admin"), as_of=as_of, max_iter=30)
    listing = client.get("/api/v1/reports/churn/at-risk?limit=5").json()
    assert listing["count"] > 0 and len(listing["items"]) == 5
    amounts = [i["revenue_at_risk"] for i in listing["items"]]
    assert amounts == sorted(amounts, reverse=True)
    risk = client.get(f"/api/v1/reports/customers/{listing['items'][0]['customer_id']}/churn-risk")
    assert risk.status_code == 200 and 0 <= risk.json()["probability"] <= 1
    model = client.get("/api/v1/reports/churn/model").json()["model"]
    assert model["metrics"]["auc"] > 0.5 and model["clusters"]["k"] >= 2
    agent_client, _agent = api_client("agent")
    customer = listing["items"][0]["customer_id"]
    assert agent_client.get(f"/api/v1/reports/customers/{customer}/churn-risk").status_code == 200
    assert agent_client.get("/api/v1/reports/churn/at-risk").status_code == 403
