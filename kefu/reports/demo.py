"""Demo reports: a few saved (shared) pivot reports, one emailed weekly, two SWOT entries, and
a churn model trained on the demo company's history when it has enough of it.

Idempotent: saved reports and entries are looked up by name/text; the model is trained only
when no run exists.
"""

from __future__ import annotations

from kefu.accounts.models import User
from kefu.core.errors import ValidationFailed
from kefu.customers.models import Purchase
from kefu.reports import services
from kefu.reports.models import ChurnModelRun, SavedReport, SwotEntry

REPORTS = [
    (
        "工单量：按月和渠道 Tickets by month and channel",
        {"dataset": "tickets", "dimensions": ["month", "channel"], "measures": ["count:tickets"]},
        "",
    ),
    (
        "投诉：按类别和团队 Complaints by category and team",
        {
            "dataset": "tickets",
            "dimensions": ["category_1", "team"],
            "measures": ["count:tickets", "p90:resolution_s"],
            "filters": {"kind": ["complaint"]},
        },
        "weekly",
    ),
    (
        "销售额：按产品和等级 Revenue by product and tier",
        {
            "dataset": "purchases",
            "dimensions": ["product", "tier"],
            "measures": ["sum:amount", "mean:amount"],
        },
        "",
    ),
    (
        "首次响应：按坐席 First response by agent",
        {
            "dataset": "tickets",
            "dimensions": ["agent"],
            "measures": ["median:first_response_s", "p90:first_response_s"],
        },
        "",
    ),
]
SWOT = [
    ("opportunity", "以旧换新活动可挽回低频客户 Trade-in campaign for lapsed customers"),
    ("threat", "竞争对手推出 24 小时在线客服 A competitor launched 24-hour chat support"),
]


def load(*, scale: int, rng, stdout=None) -> None:
    owner = (
        User.objects.filter(username="manager").first()
        or User.objects.filter(is_superuser=True).first()
    )
    if owner is None:
        if stdout is not None:
            stdout.write("  reports: no manager login, nothing loaded")
        return
    made = 0
    for name, spec, schedule in REPORTS:
        if SavedReport.objects.filter(name=name).exists():
            continue
        services.saved_report_create(
            actor=owner,
            name=name,
            spec=spec,
            shared=True,
            schedule=schedule,
            recipients="manager@huaxin.example" if schedule else "",
        )
        made += 1
    for quadrant, text in SWOT:
        if not SwotEntry.objects.filter(text=text).exists():
            services.swot_entry_add(actor=owner, quadrant=quadrant, text=text)
    trained = ""
    if not ChurnModelRun.objects.exists() and Purchase.objects.exists():
        try:
            run = services.churn_model_train(actor=None, max_iter=100)
            trained = f", churn model #{run.pk} (AUC {run.metrics['auc']:.3f})"
        except ValidationFailed as exc:
            trained = f", churn model not trained ({exc.message})"
    if stdout is not None:
        stdout.write(f"  reports: {made} saved report(s){trained}")
