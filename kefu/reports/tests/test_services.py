"""Services: saved reports (validation, schedule, emailed exports), churn training on stored
data (scores, factors, the 360° selector, the command), SWOT entries."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from kefu.core.errors import NotAllowed, ValidationFailed
from kefu.core.models import AuditEvent
from kefu.reports import selectors, services
from kefu.reports.models import CustomerRisk, SavedReport
from kefu.reports.pivot.engine import PivotError
from kefu.reports.tests.churn_data import load_simulated
from kefu.reports.tests.factories import make_tickets

pytestmark = pytest.mark.django_db
SPEC = {"dataset": "tickets", "dimensions": ["channel"], "measures": ["count:tickets"]}


def test_saved_report_create_validates_and_audits(make_user):
    user = make_user("supervisor")
    report = services.saved_report_create(actor=user, name=" Weekly ", spec=SPEC)
    assert report.name == "Weekly" and report.spec["measures"] == ["count:tickets"]
    assert AuditEvent.objects.filter(action="reports.saved_report.create").count() == 1
    with pytest.raises(PivotError) as caught:
        services.saved_report_create(actor=user, name="x", spec={"dimensions": ["password"]})
    assert "dimensions" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.saved_report_create(actor=user, name="x", spec=SPEC, schedule="daily")
    assert "recipients" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.saved_report_create(actor=user, name="x", spec=SPEC, recipients="not-an-email")
    assert "recipients" in caught.value.fields
    with pytest.raises(ValidationFailed):
        services.saved_report_create(actor=user, name="", spec=SPEC)


def test_only_the_owner_changes_a_report(make_user):
    owner, other = make_user("supervisor"), make_user("supervisor")
    report = services.saved_report_create(actor=owner, name="Mine", spec=SPEC, shared=True)
    assert report in selectors.saved_report_list(other)
    with pytest.raises(NotAllowed):
        services.saved_report_delete(actor=other, report=report)
    services.saved_report_update(
        actor=owner, report=report, name="Renamed", schedule="weekly", recipients="boss@example.com"
    )
    report.refresh_from_db()
    assert report.name == "Renamed" and timezone.localtime(report.next_run_at).weekday() == 0


def test_next_run_times():
    monday = dt.datetime(2025, 6, 2, 7, 0, tzinfo=dt.UTC)  # 15:00 in Shanghai
    assert services.next_run("", monday) is None
    daily = services.next_run("daily", monday)
    assert daily > monday and daily.hour == 6
    weekly = services.next_run("weekly", monday)
    assert weekly.weekday() == 0 and (weekly - monday).days >= 6
    monthly = services.next_run("monthly", monday)
    assert monthly.day == 1 and monthly.month == 7


def test_scheduled_report_is_emailed_once_with_the_export(make_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_tickets(12)
    user = make_user("manager")
    report = services.saved_report_create(
        actor=user,
        name="Daily channels",
        spec=SPEC,
        schedule="daily",
        recipients="a@example.com\nb@example.com",
    )
    due = report.next_run_at + dt.timedelta(minutes=1)
    assert services.scheduled_reports_send_due(now=due) == 1
    assert services.scheduled_reports_send_due(now=due) == 0  # claimed: not sent twice
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a@example.com", "b@example.com"]
    name, content, _mimetype = message.attachments[0]
    assert name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(content))["Report"]
    counts = [row[1] for row in sheet.iter_rows(min_row=5, values_only=True)]
    assert sum(counts) == 12
    report.refresh_from_db()
    assert report.last_sent_at == due and report.next_run_at > due


def test_churn_training_on_stored_data_scores_customers(make_user):
    _sim, customers, as_of = load_simulated(400)
    admin = make_user("admin")
    run = services.churn_model_train(actor=admin, as_of=as_of, max_iter=40)
    assert run.status == "done" and run.metrics["auc"] > 0.7
    assert run.clusters["k"] >= 2 and run.behaviour["time_of_day"]
    scored = CustomerRisk.objects.count()
    assert 0 < scored <= len(customers)
    top = selectors.revenue_at_risk_list(5)[0]
    risk = selectors.customer_churn_risk(top.customer_id)
    assert risk.probability == pytest.approx(top.probability)
    assert risk.band in ("high", "medium", "low") and risk.as_of == as_of
    # the stored factors: positive effects (rounded to 4 places), largest first, known features
    with_factors = [r for r in CustomerRisk.objects.all() if r.factors]
    assert with_factors
    for stored in with_factors[:50]:
        effects = [f["effect"] for f in stored.factors]
        assert all(e >= 0 for e in effects) and effects == sorted(effects, reverse=True)
        assert {f["feature"] for f in stored.factors} <= set(run.metrics["features"])
    assert services.churn_model_load(run).predict([[0.0] * len(run.metrics["features"])]).shape == (
        1,
    )
    assert selectors.customer_churn_risk(10**9) is None
    # retraining replaces the scores
    services.churn_model_train(actor=None, as_of=as_of, max_iter=40)
    assert CustomerRisk.objects.count() == scored


def test_training_without_history_fails_clearly(make_user):
    with pytest.raises(ValidationFailed):
        services.churn_model_train(actor=make_user("admin"), as_of=dt.date(2020, 1, 1))


def test_mining_command(make_user):
    _sim, _customers, as_of = load_simulated(300, seed=9)
    out = io.StringIO()
    call_command("mining", "train-churn", "--as-of", as_of.isoformat(), stdout=out)
    assert "ROC AUC" in out.getvalue()
    assert SavedReport.objects.count() == 0 and CustomerRisk.objects.exists()


def test_swot_entries(make_user):
    manager = make_user("manager")
    entry = services.swot_entry_add(actor=manager, quadrant="threat", text="新竞争对手开业")
    quadrants = selectors.swot_analysis()
    assert any(i.text == "新竞争对手开业" for i in quadrants["threat"])
    with pytest.raises(ValidationFailed) as caught:
        services.swot_entry_add(actor=manager, quadrant="bogus", text="x")
    assert "quadrant" in caught.value.fields
    services.swot_entry_delete(actor=manager, entry=entry)
    assert not any(i.text == "新竞争对手开业" for i in selectors.swot_analysis()["threat"])
