"""Writes of the reports app: saved reports and their email schedule, the churn model
training (scores written in bulk), SWOT entries. Each service is atomic and audited."""

from __future__ import annotations

import datetime as dt
import pickle
import time
from decimal import Decimal
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record
from kefu.core.errors import NotAllowed, ValidationFailed
from kefu.reports.models import (
    ChurnModelRun,
    CustomerRisk,
    ExportFormat,
    SavedReport,
    Schedule,
    SwotEntry,
    SwotQuadrant,
)
from kefu.reports.pivot.engine import parse_spec

MAX_RECIPIENTS = 50


# --- saved reports ------------------------------------------------------------------------------


def next_run(schedule: str, after: dt.datetime) -> dt.datetime | None:
    """The next send time (06:00 local) strictly after `after` for a schedule."""
    if not schedule:
        return None
    local = timezone.localtime(after)
    day = local.date()
    candidate = dt.datetime.combine(day, dt.time(6), local.tzinfo)
    while True:
        if candidate > local and (
            schedule == Schedule.DAILY
            or (schedule == Schedule.WEEKLY and candidate.weekday() == 0)
            or (schedule == Schedule.MONTHLY and candidate.day == 1)
        ):
            return candidate
        candidate += dt.timedelta(days=1)


def _validated(*, name: str, spec: dict, schedule: str, recipients: str, export_format: str):
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the report a name."), fields={"name": _("Required.")})
    if schedule not in Schedule.values:
        raise ValidationFailed(_("Unknown schedule."), fields={"schedule": _("Unknown schedule.")})
    if export_format not in ExportFormat.values:
        raise ValidationFailed(_("Unknown format."), fields={"export_format": _("Unknown format.")})
    clean = parse_spec(spec).as_json()
    emails = [e.strip() for e in recipients.replace(",", "\n").splitlines() if e.strip()]
    if len(emails) > MAX_RECIPIENTS:
        raise ValidationFailed(_("Too many recipients."), fields={"recipients": _("At most 50.")})
    for email in emails:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationFailed(
                _("“%s” is not an email address.") % email[:100],
                fields={"recipients": _("“%s” is not an email address.") % email[:100]},
            ) from None
    if schedule and not emails:
        raise ValidationFailed(
            _("A scheduled report needs at least one recipient."),
            fields={"recipients": _("Required for a schedule.")},
        )
    return name, clean, "\n".join(emails)


@transaction.atomic
def saved_report_create(
    *,
    actor,
    name: str,
    spec: dict,
    description: str = "",
    shared: bool = False,
    schedule: str = "",
    recipients: str = "",
    export_format: str = ExportFormat.XLSX,
) -> SavedReport:
    name, clean, emails = _validated(
        name=name, spec=spec, schedule=schedule, recipients=recipients, export_format=export_format
    )
    report = SavedReport.objects.create(
        name=name,
        description=description,
        owner=actor,
        shared=shared,
        spec=clean,
        schedule=schedule,
        recipients=emails,
        export_format=export_format,
        next_run_at=next_run(schedule, timezone.now()),
    )
    audit_record(
        actor=actor,
        action="reports.saved_report.create",
        obj=report,
        changes={"spec": clean, "schedule": schedule, "shared": shared},
    )
    return report


def _require_owner(actor, report: SavedReport) -> None:
    if report.owner_id != actor.pk and not actor.has_perm("reports.delete_savedreport"):
        raise NotAllowed(_("Only the owner can change this report."))


@transaction.atomic
def saved_report_update(*, actor, report: SavedReport, **fields: Any) -> SavedReport:
    _require_owner(actor, report)
    report = SavedReport.objects.select_for_update().get(pk=report.pk)
    merged = {
        "name": fields.get("name", report.name),
        "spec": fields.get("spec", report.spec),
        "schedule": fields.get("schedule", report.schedule),
        "recipients": fields.get("recipients", report.recipients),
        "export_format": fields.get("export_format", report.export_format),
    }
    name, clean, emails = _validated(**merged)
    before = {"name": report.name, "spec": report.spec, "schedule": report.schedule}
    report.name, report.spec, report.recipients = name, clean, emails
    report.description = fields.get("description", report.description)
    report.shared = bool(fields.get("shared", report.shared))
    if merged["schedule"] != report.schedule:
        report.next_run_at = next_run(merged["schedule"], timezone.now())
    report.schedule = merged["schedule"]
    report.export_format = merged["export_format"]
    report.version += 1
    report.save()
    audit_record(
        actor=actor,
        action="reports.saved_report.update",
        obj=report,
        changes={"before": before, "spec": clean, "schedule": report.schedule},
    )
    return report


@transaction.atomic
def saved_report_delete(*, actor, report: SavedReport) -> None:
    _require_owner(actor, report)
    audit_record(actor=actor, action="reports.saved_report.delete", obj=report)
    report.delete()


def saved_report_send(*, report: SavedReport, now: dt.datetime | None = None) -> bool:
    """Run the report, attach the export and email the recipients; then move next_run_at on.
    Claims the run first (conditional update), so two workers never send the same report."""
    from kefu.reports import selectors

    now = now or timezone.now()
    claimed = SavedReport.objects.filter(pk=report.pk, next_run_at=report.next_run_at).update(
        next_run_at=next_run(report.schedule, now), last_sent_at=now
    )
    if not claimed:
        return False
    table = selectors.report_table(report.spec, title=report.name)
    from kefu.reports.exports import CONTENT_TYPES, render

    body = _("Attached: the report “%(name)s” as of %(when)s.") % {
        "name": report.name,
        "when": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
    }
    message = EmailMessage(
        subject=_("Kefu report: %s") % report.name, body=body, to=report.recipient_list
    )
    stem = f"report-{report.pk}-{timezone.localdate(now):%Y%m%d}"
    message.attach(
        f"{stem}.{report.export_format}",
        render(table, report.export_format),
        CONTENT_TYPES[report.export_format],
    )
    message.send()
    audit_record(
        actor=None,
        action="reports.saved_report.send",
        obj=report,
        changes={"recipients": report.recipient_list, "format": report.export_format},
    )
    return True


def scheduled_reports_send_due(*, now: dt.datetime | None = None) -> int:
    """Send every scheduled report whose time has come; returns how many were sent."""
    now = now or timezone.now()
    due = SavedReport.objects.filter(next_run_at__lte=now).exclude(schedule="")
    return sum(saved_report_send(report=report, now=now) for report in due)


# --- churn model ----------------------------------------------------------------------------------

CLUSTER_FEATURES = (
    "recency_days",
    "frequency",
    "monetary_90d",
    "complaints_365d",
    "sla_breaches_365d",
    "csat_mean",
)


def churn_model_train(
    *,
    actor,
    as_of: dt.date | None = None,
    horizon_days: int = 90,
    seed: int = 0,
    max_iter: int = 120,
) -> ChurnModelRun:
    """Load the event log, train and evaluate the churn model (time-based split), score every
    purchaser, cluster customers and summarise behaviour; replace the stored scores in bulk.
    A failure is recorded as a failed run (and re-raised)."""
    from kefu.analytics.mining import (
        FEATURES,
        channel_switching,
        cluster_customers,
        contact_reason_paths,
        run_churn_pipeline,
        time_of_day,
    )
    from kefu.reports import loaders

    if not 30 <= horizon_days <= 365:
        raise ValidationFailed(
            _("The horizon must be 30–365 days."), fields={"horizon_days": _("30–365 days.")}
        )
    as_of = as_of or timezone.localdate()
    until = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, dt.UTC)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    try:
        ids, created, tiers = loaders.customer_columns()
        events, contacts = loaders.event_log(until=until)
        timings["load"] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()
        run = run_churn_pipeline(
            ids,
            events,
            as_of=int(until.timestamp()),
            horizon_days=horizon_days,
            first_seen=created,
            tiers=tiers,
            seed=seed,
            max_iter=max_iter,
        )
        timings["train"] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()
        features = run.features
        clusters = cluster_customers(
            features.select(CLUSTER_FEATURES).to_numpy(), list(CLUSTER_FEATURES), seed=seed
        )
        churned = features.filter(features["recency_days"] > horizon_days)["customer_id"].to_numpy()
        behaviour = {
            "paths": contact_reason_paths(
                contacts["customer"], contacts["seconds"], contacts["reason"], churned
            ).to_dicts(),
            "switching": channel_switching(
                contacts["customer"], contacts["seconds"], contacts["channel"]
            ).to_dicts(),
            "time_of_day": time_of_day(contacts["seconds"]).tolist(),
        }
        timings["mine"] = round(time.perf_counter() - clock, 2)
    except ValueError as exc:
        failed = ChurnModelRun.objects.create(
            as_of=as_of,
            horizon_days=horizon_days,
            status=ChurnModelRun.Status.FAILED,
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
            error=str(exc)[:2000],
            timings=timings,
        )
        audit_record(
            actor=actor,
            action="reports.churn.train_failed",
            obj=failed,
            changes={"error": str(exc)[:500]},
        )
        raise ValidationFailed(
            _("The churn model could not be trained: %s") % exc,
            fields={"as_of": _("Not enough history before this date.")},
        ) from exc
    clock = time.perf_counter()
    cluster_payload = {
        "k": clusters.k,
        "features": list(CLUSTER_FEATURES),
        "silhouette": {str(k): v for k, v in clusters.silhouette_by_k.items()},
        "profiles": [p.__dict__ for p in clusters.profiles],
        "projection": np.round(clusters.projection, 3).tolist(),
        "projection_labels": clusters.projection_labels.tolist(),
        "explained_variance": clusters.explained_variance,
    }
    with transaction.atomic():
        model_run = ChurnModelRun.objects.create(
            as_of=as_of,
            horizon_days=horizon_days,
            status=ChurnModelRun.Status.DONE,
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
            metrics={**run.model.metrics, "features": list(FEATURES)},
            importance=run.model.importance,
            partial_dependence=run.model.partial_dependence,
            calibration=run.model.calibration,
            clusters=cluster_payload,
            behaviour=behaviour,
            model_blob=pickle.dumps(run.model),
        )
        _write_scores(model_run, run.scores, features["customer_id"].to_numpy(), clusters.labels)
        timings["write"] = round(time.perf_counter() - clock, 2)
        model_run.timings = timings
        model_run.save(update_fields=["timings"])
        audit_record(
            actor=actor,
            action="reports.churn.train",
            obj=model_run,
            changes={"auc": run.model.metrics["auc"], "scored": run.scores.height},
        )
    return model_run


def _write_scores(model_run, scores, cluster_ids, cluster_labels, batch: int = 20_000) -> None:
    """Replace the stored scores: one multi-row INSERT per batch (`insert_rows`, no per-value
    field conversion of `bulk_create`); factors with a positive effect, largest first."""
    from kefu.core.bulk import insert_rows

    cluster_of = dict(zip(cluster_ids.tolist(), cluster_labels.tolist(), strict=True))
    columns = [scores[name].to_list() for name in ("customer_id", "probability", "revenue_at_risk")]
    factors = [
        (scores[f"factor_{j}"].to_list(), scores[f"effect_{j}"].to_list()) for j in (1, 2, 3)
    ]
    CustomerRisk.objects.all().delete()
    rows = []
    for i, (customer, probability, revenue) in enumerate(zip(*columns, strict=True)):
        rows.append(
            CustomerRisk(
                customer_id=customer,
                run=model_run,
                probability=round(float(probability), 4),
                revenue_at_risk=Decimal(f"{revenue:.2f}"),
                factors=[
                    {"feature": names[i], "effect": round(float(effects[i]), 4)}
                    for names, effects in factors
                    if names[i] and effects[i] > 0
                ],
                cluster=cluster_of.get(customer),
            )
        )
        if len(rows) >= batch:
            insert_rows(CustomerRisk, rows)
            rows = []
    insert_rows(CustomerRisk, rows)


def churn_model_load(model_run: ChurnModelRun):
    """The pickled ChurnModel of a run (written only by churn_model_train)."""
    return pickle.loads(bytes(model_run.model_blob))


# --- SWOT ---------------------------------------------------------------------------------------


@transaction.atomic
def swot_entry_add(*, actor, quadrant: str, text: str) -> SwotEntry:
    text = (text or "").strip()
    if quadrant not in SwotQuadrant.values:
        raise ValidationFailed(_("Unknown quadrant."), fields={"quadrant": _("Unknown quadrant.")})
    if not text:
        raise ValidationFailed(_("Write the entry."), fields={"text": _("Required.")})
    if len(text) > 500:
        raise ValidationFailed(_("At most 500 characters."), fields={"text": _("Too long.")})
    entry = SwotEntry.objects.create(quadrant=quadrant, text=text, author=actor)
    audit_record(actor=actor, action="reports.swot.add", obj=entry, changes={"quadrant": quadrant})
    return entry


@transaction.atomic
def swot_entry_delete(*, actor, entry: SwotEntry) -> None:
    audit_record(actor=actor, action="reports.swot.delete", obj=entry)
    entry.delete()
