"""API: permissions, paging and filters, summary, queued refresh; bounded query counts."""

from __future__ import annotations

import pytest

from kefu.analytics import services
from kefu.analytics.models import AnalyticsRun, CustomerValueSnapshot, RunStatus
from kefu.analytics.tests.factories import AS_OF, make_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def refreshed(db):
    make_data(30)
    return services.analytics_refresh(actor=None, as_of=AS_OF)


def test_summary_needs_a_snapshot_and_the_permission(api_client):
    client, _ = api_client("manager")
    assert client.get("/api/v1/analytics/summary").status_code == 404
    agent, _ = api_client("agent")
    assert agent.get("/api/v1/analytics/summary").status_code == 403


def test_summary_of_the_newest_run(api_client, refreshed):
    client, _ = api_client("manager")
    body = client.get("/api/v1/analytics/summary").json()
    assert body["run_id"] == refreshed.pk and body["customers"] == 31
    assert sum(body["tiers"].values()) == 31
    assert set(body["fitted"]["bgnbd"]) >= {"r", "alpha", "a", "b", "log_likelihood"}
    assert body["gini"] == pytest.approx(refreshed.aggregates["gini"])


def test_customer_value_is_paged_and_filtered(api_client, refreshed, django_assert_max_num_queries):
    client, _ = api_client("manager")
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/analytics/customer-value?limit=10").json()
    assert body["count"] == 31 and len(body["items"]) == 10
    profits = [item["profit"] for item in body["items"]]
    assert profits == sorted(profits, reverse=True)
    a_count = CustomerValueSnapshot.objects.filter(run=refreshed, tier="A").count()
    body = client.get("/api/v1/analytics/customer-value?tier=A&limit=200").json()
    assert body["count"] == a_count and {i["tier"] for i in body["items"]} == {"A"}
    segment = body["items"][0]["segment"]
    body = client.get(f"/api/v1/analytics/customer-value?segment={segment}").json()
    assert body["count"] and {i["segment"] for i in body["items"]} == {segment}
    bad = client.get("/api/v1/analytics/customer-value?tier=Z")
    assert bad.status_code == 422 and "tier" in bad.json()["error"]["fields"]
    # the number of queries does not grow with the page size
    with django_assert_max_num_queries(8):
        client.get("/api/v1/analytics/customer-value?limit=200")


def test_refresh_is_admin_only_and_queued(api_client, db, django_capture_on_commit_callbacks):
    make_data(10)
    manager, _ = api_client("manager")
    assert manager.post("/api/v1/analytics/refresh", {}, "application/json").status_code == 403
    assert not AnalyticsRun.objects.exists()
    admin, user = api_client("admin")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin.post(
            "/api/v1/analytics/refresh", {"update_tiers": True}, "application/json"
        )
    assert response.status_code == 202 and response.json()["status"] == RunStatus.QUEUED
    run = AnalyticsRun.objects.get(pk=response.json()["run_id"])
    assert run.status == RunStatus.QUEUED and len(callbacks) == 1
    callbacks[0]()  # the task queue runs it (eager in tests)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.started_by == user
    assert run.parameters["update_tiers"] is True and run.counts["tiers_changed"] == 11
