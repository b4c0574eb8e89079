"""analytics_refresh end to end on a small generated data set, checked against the pure
functions and hand computation; bulk writes; audited tier updates; settings."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.analytics import services
from kefu.analytics.models import AnalyticsRun, AnalyticsSettings, CustomerValueSnapshot, RunStatus
from kefu.analytics.rfm import rfm_scores
from kefu.analytics.tasks import analytics_nightly_refresh
from kefu.analytics.tests.factories import AS_OF, make_data
from kefu.analytics.tiers import abcd_tiers
from kefu.analytics.transactions import summarize_transactions
from kefu.core.errors import Conflict, NotAllowed, ValidationFailed
from kefu.core.models import AuditEvent
from kefu.customers.models import Customer, Purchase

pytestmark = pytest.mark.django_db


def _snapshots(run) -> dict[int, CustomerValueSnapshot]:
    return {s.customer_id: s for s in CustomerValueSnapshot.objects.filter(run=run)}


def test_refresh_figures_match_the_pure_functions_and_hand_computation(make_user):
    admin = make_user("admin")
    data = make_data(40, actor=admin)
    run = services.analytics_refresh(actor=None, as_of=AS_OF)
    assert run.status == RunStatus.DONE
    rows = _snapshots(run)
    assert len(rows) == 41 and run.counts["snapshots"] == 41
    settings = AnalyticsSettings.current()

    # Historic value and gross margin by hand (default margin rate where none is recorded).
    purchases = list(
        Purchase.objects.values_list("customer_id", "ordered_at", "amount", "gross_margin")
    )
    for customer in data.customers[:10]:
        mine = [p for p in purchases if p[0] == customer.pk]
        total = sum((p[2] for p in mine), Decimal(0))
        margin = sum(
            (p[3] if p[3] is not None else p[2] * Decimal(str(settings.default_margin_rate)))
            for p in mine
        )
        row = rows[customer.pk]
        assert row.historic_value == total
        assert abs(row.gross_margin - margin) <= Decimal("0.01")

    # Cost to serve by hand: customer 0 has a phone ticket (12 min × 2.0), an email complaint
    # (15 min × 1.2) and 500 CNY compensation; customer 1 has nothing.
    first = rows[data.customers[0].pk]
    assert first.cost_to_serve == Decimal("24.00") + Decimal("18.00") + Decimal("500.00")
    assert first.handling_minutes == 27.0
    assert first.compensation == Decimal("500.00")
    assert first.cost_driver == "compensation"
    assert first.profit == first.gross_margin - first.cost_to_serve
    assert first.ticket_count == 2 and first.complaint_count == 1
    assert rows[data.customers[1].pk].cost_to_serve == 0

    # Frequency / recency / T, RFM and the BG/NBD predictions equal the pure functions'.
    ids = np.asarray([p[0] for p in purchases])
    dates = np.asarray([np.datetime64(p[1].replace(tzinfo=None), "s") for p in purchases])
    amounts = np.asarray([float(p[2]) for p in purchases])
    summary = summarize_transactions(ids, dates, amounts, np.datetime64(AS_OF), "W", resolution="D")
    from kefu.analytics.bgnbd import BgNbdModel

    fitted = run.fitted["bgnbd"]
    model = BgNbdModel(**fitted)
    x, t_x, T = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    expected = model.expected_purchases(52.0, x, t_x, T)
    alive = model.prob_alive(x, t_x, T)
    last = summary["last_purchase"].to_numpy().astype("datetime64[D]")
    days = (np.datetime64(AS_OF) - last).astype(int)
    r, f, m = rfm_scores(days, summary["count"].to_numpy(), summary["total"].to_numpy())
    for i, customer_id in enumerate(summary["customer_id"].to_list()):
        row = rows[customer_id]
        assert row.frequency == x[i]
        assert row.recency_weeks == pytest.approx(t_x[i])
        assert row.age_weeks == pytest.approx(T[i])
        assert row.predicted_purchases == pytest.approx(expected[i], rel=1e-9)
        assert row.prob_alive == pytest.approx(alive[i], rel=1e-9)
        assert (row.r_score, row.f_score, row.m_score) == (r[i], f[i], m[i])
    assert fitted["r"] > 0 and fitted["alpha"] > 0

    # Tiers: abcd_tiers on CLV (customers without a CLV count as 0), default cut-offs.
    ordered = sorted(rows)
    clv = np.asarray([float(rows[c].clv or 0) for c in ordered])
    assert [rows[c].tier for c in ordered] == abcd_tiers(clv, (0.1, 0.3, 0.6)).tolist()

    # The customer without purchases.
    silent = rows[data.silent.pk]
    assert (silent.purchase_count, silent.segment, silent.clv) == (0, "no purchases", None)

    # Six Sigma and iceberg aggregates: 10 complaints by email, 5 of them repeats.
    sigma = {row["key"]: row for row in run.aggregates["six_sigma"]}
    assert sigma["repeat_complaint"]["units"] == 10
    assert sigma["repeat_complaint"]["defects"] == 5
    assert sigma["repeat_complaint"]["dpmo"] == pytest.approx(500_000)
    assert sigma["repeat_complaint"]["sigma"] == pytest.approx(1.5)
    iceberg = run.aggregates["iceberg"]
    assert iceberg["voiced_total"] == 10 and iceberg["silent_total"] == 260
    assert AuditEvent.objects.filter(action="analytics.refreshed", object_id=str(run.pk)).exists()


def _refresh_queries(count: int) -> int:
    make_data(count)
    with CaptureQueriesContext(connection) as queries:
        services.analytics_refresh(actor=None, as_of=AS_OF)
    return len(queries)


def test_snapshot_written_in_bulk_query_count_independent_of_customers(db):
    AnalyticsSettings.current()
    small = _refresh_queries(20)
    CustomerValueSnapshot.objects.all().delete()
    AnalyticsRun.objects.all().delete()
    Purchase.objects.all().delete()
    large = _refresh_queries(120)
    assert large == small
    assert small < 30


def test_update_tiers_goes_through_customers_service_and_is_audited(make_user):
    admin = make_user("admin")
    data = make_data(30)
    run = services.analytics_refresh(actor=admin, update_tiers=True, as_of=AS_OF)
    rows = _snapshots(run)
    tiers = dict(Customer.objects.filter(pk__in=rows).values_list("pk", "tier"))
    assert all(tiers[pk] == rows[pk].tier for pk in rows)
    events = AuditEvent.objects.filter(action="customer.tier_set")
    assert events.count() == run.counts["tiers_changed"] == len(rows)  # all started without tier
    event = events.get(object_id=str(data.customers[0].pk))
    assert event.actor == admin
    assert event.changes["tier"] == ["", rows[data.customers[0].pk].tier]
    assert f"#{run.pk}" in event.changes["reason"][1]


def test_refresh_needs_permission(make_user):
    make_data(10)
    with pytest.raises(NotAllowed):
        services.analytics_refresh(actor=make_user("manager"))
    with pytest.raises(NotAllowed):
        services.analytics_refresh_request(actor=make_user("agent"))
    assert not CustomerValueSnapshot.objects.exists()


def test_failure_leaves_no_partial_writes(make_user, monkeypatch):
    admin = make_user("admin")
    make_data(15)

    def broken(**kwargs):
        raise RuntimeError("customers service down")

    monkeypatch.setattr(services.customer_services, "tier_set_bulk", broken)
    with pytest.raises(RuntimeError):
        services.analytics_refresh(actor=admin, update_tiers=True, as_of=AS_OF)
    assert not CustomerValueSnapshot.objects.exists()
    run = AnalyticsRun.objects.get()
    assert run.status == RunStatus.FAILED and "down" in run.message
    assert not AuditEvent.objects.filter(action="analytics.refreshed").exists()


def test_queued_refresh_runs_the_task(make_user, django_capture_on_commit_callbacks):
    admin = make_user("admin")
    make_data(12)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.analytics_refresh_request(actor=admin)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.started_by == admin
    assert CustomerValueSnapshot.objects.filter(run=run).count() == 13


def test_nightly_task_skips_when_a_recent_run_exists(db):
    make_data(8)
    first = analytics_nightly_refresh()
    assert analytics_nightly_refresh() == first
    assert AnalyticsRun.objects.count() == 1


def test_command_refresh_prints_the_run(db, capsys):
    make_data(8)
    call_command("analytics", "refresh", "--as-of", AS_OF.isoformat())
    out = capsys.readouterr().out
    run = AnalyticsRun.objects.get()
    assert f"Snapshot #{run.pk} as of {AS_OF}" in out and "9 customers" in out


def test_settings_update_validates_audits_and_locks(make_user):
    admin = make_user("admin")
    row = AnalyticsSettings.current()
    with pytest.raises(ValidationFailed) as error:
        services.analytics_settings_update(
            actor=admin,
            expected_version=row.version,
            changes={"tier_cutoffs": [0.3, 0.2, 0.6], "cost_per_minute": {"phone": -1}},
        )
    assert set(error.value.fields) == {"tier_cutoffs", "cost_per_minute"}
    services.analytics_settings_update(
        actor=admin, expected_version=row.version, changes={"tier_cutoffs": [0.2, 0.5, 0.8]}
    )
    event = AuditEvent.objects.get(action="analytics.settings_updated")
    assert event.changes == {"tier_cutoffs": [[0.1, 0.3, 0.6], [0.2, 0.5, 0.8]]}
    with pytest.raises(Conflict):
        services.analytics_settings_update(
            actor=admin, expected_version=row.version, changes={"horizon_weeks": 26}
        )
    with pytest.raises(NotAllowed):
        services.analytics_settings_update(
            actor=make_user("manager"), expected_version=2, changes={"horizon_weeks": 26}
        )


def test_new_cutoffs_change_the_tiers(make_user):
    make_data(20)
    row = AnalyticsSettings.current()
    services.analytics_settings_update(
        actor=None,
        expected_version=row.version,
        changes={"tier_cutoffs": [0.25, 0.5, 0.75], "tier_basis": "historic_value"},
    )
    run = services.analytics_refresh(actor=None, as_of=AS_OF)
    rows = _snapshots(run)
    ordered = sorted(rows)
    values = np.asarray([float(rows[c].historic_value) for c in ordered])
    assert [rows[c].tier for c in ordered] == abcd_tiers(values, (0.25, 0.5, 0.75)).tolist()


def test_admin_settings_form_validates_and_saves_through_the_service(make_user):
    from django.test import Client

    admin = make_user("admin", is_staff=True, is_superuser=True)
    row = AnalyticsSettings.current()
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(admin)
    url = f"/admin/analytics/analyticssettings/{row.pk}/change/"
    form = {
        "tier_cutoffs": "[0.5, 0.2, 0.9]",
        "tier_basis": "clv",
        "discount_rate": "0.1",
        "horizon_weeks": "52",
        "default_margin_rate": "0.25",
        "cost_per_minute": '{"default": 1.5}',
        "standard_minutes": '{"default": 12}',
        "iceberg_ratios": '{"default": 26}',
        "top_share": "0.1",
    }
    response = client.post(url, form)
    assert response.status_code == 200 and "increasing strictly" in response.content.decode()
    form["tier_cutoffs"] = "[0.2, 0.4, 0.8]"
    assert client.post(url, form).status_code == 302
    row.refresh_from_db()
    assert row.tier_cutoffs == [0.2, 0.4, 0.8] and row.version == 2
    event = AuditEvent.objects.get(action="analytics.settings_updated")
    assert event.actor == admin and "tier_cutoffs" in event.changes


@pytest.mark.django_db
def test_runs_whose_process_is_gone_are_marked_interrupted():
    """A refresh killed mid-way would show "running" for ever: the next refresh marks runs
    whose process on this machine has exited, or that have run elsewhere for > 6 h, as failed."""
    import datetime as dt
    import os
    import socket
    import subprocess
    import sys

    from django.utils import timezone

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    here = socket.gethostname()
    now = timezone.now()

    def running(process: dict, hours_ago: float) -> AnalyticsRun:
        run = AnalyticsRun.objects.create(as_of=AS_OF, status=RunStatus.RUNNING)
        run.parameters = {"process": process}
        run.save(update_fields=["parameters"])
        AnalyticsRun.objects.filter(pk=run.pk).update(
            started_at=now - dt.timedelta(hours=hours_ago)
        )
        return run

    dead = running({"host": here, "pid": int(gone.stdout)}, 0.01)
    alive = running({"host": here, "pid": os.getpid()}, 0.01)
    elsewhere_recent = running({"host": "other-node", "pid": 1}, 1)
    elsewhere_stale = running({"host": "other-node", "pid": 1}, 7)
    assert services.mark_interrupted_runs(now=now) == 2
    status = dict(AnalyticsRun.objects.values_list("pk", "status"))
    assert status[dead.pk] == status[elsewhere_stale.pk] == RunStatus.FAILED
    assert status[alive.pk] == status[elsewhere_recent.pk] == RunStatus.RUNNING
    assert "Interrupted" in AnalyticsRun.objects.get(pk=dead.pk).message
