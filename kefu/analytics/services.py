"""Every write of the analytics app: refresh runs, their snapshots, tier updates, settings."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.analytics import loaders
from kefu.analytics.complaint_iceberg import complaint_iceberg
from kefu.analytics.models import (
    AnalyticsRun,
    AnalyticsSettings,
    CustomerValueSnapshot,
    RunStatus,
    TierBasis,
)
from kefu.analytics.pipeline import DEFAULT_KEY, ValueParameters, compute_customer_value
from kefu.analytics.six_sigma import dpmo, sigma_level
from kefu.core.audit import audit_record, diff, snapshot
from kefu.core.errors import NotAllowed, ValidationFailed
from kefu.core.tasks import enqueue
from kefu.core.versioning import update_versioned
from kefu.customers import services as customer_services

SNAPSHOT_BATCH = 5000
SETTINGS_FIELDS = (
    "tier_cutoffs",
    "tier_basis",
    "discount_rate",
    "horizon_weeks",
    "default_margin_rate",
    "cost_per_minute",
    "standard_minutes",
    "iceberg_ratios",
    "top_share",
)
Progress = Callable[[str, int, int | None], None]


def _require(actor, *perms: str) -> None:
    """actor=None is the system (nightly task, command); a user needs the permissions."""
    if actor is not None and not actor.has_perms(perms):
        raise NotAllowed(_("You do not have permission to do this."))


# --- settings -----------------------------------------------------------------------------------


def _check_rate_table(name: str, table: Any, errors: dict[str, str]) -> None:
    if not isinstance(table, Mapping) or not table:
        errors[name] = _("Give a table of channel: number, with a 'default' entry.")
        return
    for key, value in table.items():
        if not isinstance(key, str) or not isinstance(value, int | float) or value < 0:
            errors[name] = _("Every value must be a number ≥ 0 (channel {key}).").format(key=key)
            return
        if isinstance(value, float) and not math.isfinite(value):
            errors[name] = _("Every value must be a finite number.")
            return
    if DEFAULT_KEY not in table:
        errors[name] = _("Add a 'default' entry for channels not listed.")


def validate_settings(values: Mapping[str, Any]) -> None:
    """Raise ValidationFailed naming each bad field of the analytics settings."""
    errors: dict[str, str] = {}
    cutoffs = values.get("tier_cutoffs")
    if (
        not isinstance(cutoffs, list | tuple)
        or len(cutoffs) != 3
        or not all(isinstance(c, int | float) and 0 < c < 1 for c in cutoffs)
        or not all(a < b for a, b in itertools.pairwise(cutoffs))
    ):
        errors["tier_cutoffs"] = _(
            "Give three shares increasing strictly between 0 and 1, e.g. [0.1, 0.3, 0.6]."
        )
    if values.get("tier_basis") not in TierBasis.values:
        errors["tier_basis"] = _("Choose CLV, historic value or profit.")
    rate = values.get("discount_rate")
    if not isinstance(rate, int | float) or not 0 <= rate < 1:
        errors["discount_rate"] = _("The annual discount rate must lie in [0, 1).")
    horizon = values.get("horizon_weeks")
    if not isinstance(horizon, int) or not 1 <= horizon <= 520:
        errors["horizon_weeks"] = _("The horizon must be 1 to 520 weeks.")
    margin = values.get("default_margin_rate")
    if not isinstance(margin, int | float) or not 0 <= margin <= 1:
        errors["default_margin_rate"] = _("The margin rate must lie between 0 and 1.")
    share = values.get("top_share")
    if not isinstance(share, int | float) or not 0 < share <= 0.5:
        errors["top_share"] = _("The top share must lie in (0, 0.5].")
    for name in ("cost_per_minute", "standard_minutes", "iceberg_ratios"):
        _check_rate_table(name, values.get(name), errors)
    if errors:
        raise ValidationFailed(_("Some analytics settings are not valid."), fields=errors)


@transaction.atomic
def analytics_settings_update(
    *, actor, expected_version: int, changes: Mapping[str, Any]
) -> AnalyticsSettings:
    """Change the analytics settings (optimistic locking, audited)."""
    _require(actor, "analytics.change_analyticssettings")
    row = AnalyticsSettings.current()
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown settings."), fields={name: _("Unknown setting.") for name in unknown}
        )
    before = snapshot(row, SETTINGS_FIELDS)
    validate_settings({**before, **changes})
    update_versioned(row, expected_version=expected_version, changes=dict(changes))
    changed = diff(before, snapshot(row, SETTINGS_FIELDS))
    if changed:
        audit_record(actor=actor, action="analytics.settings_updated", obj=row, changes=changed)
    return row


def parameters_from_settings(row: AnalyticsSettings, as_of: dt.date) -> ValueParameters:
    return ValueParameters(
        as_of=as_of,
        discount_rate=row.discount_rate,
        horizon_weeks=row.horizon_weeks,
        default_margin_rate=row.default_margin_rate,
        cost_per_minute=dict(row.cost_per_minute),
        standard_minutes=dict(row.standard_minutes),
        tier_cutoffs=tuple(row.tier_cutoffs),
        tier_basis=row.tier_basis,
        top_share=row.top_share,
    )


# --- refresh ------------------------------------------------------------------------------------


SNAPSHOT_MONEY = (
    "historic_value",
    "clv",
    "gross_margin",
    "cost_to_serve",
    "profit",
    "compensation",
)
SNAPSHOT_COLUMNS = (
    "customer_id",
    "purchase_count",
    "historic_value",
    "frequency",
    "recency_weeks",
    "age_weeks",
    "days_since_last",
    "predicted_purchases",
    "prob_alive",
    "clv",
    "r_score",
    "f_score",
    "m_score",
    "segment",
    "tier",
    "gross_margin",
    "cost_to_serve",
    "profit",
    "handling_minutes",
    "compensation",
    "cost_driver",
    "ticket_count",
    "complaint_count",
    "is_top",
    "is_loss_maker",
)


def _insert_sql() -> str:
    quote = connection.ops.quote_name
    fields = {f.name: f.column for f in CustomerValueSnapshot._meta.fields}
    names = ["run_id", *(fields.get(name, name) for name in SNAPSHOT_COLUMNS)]
    return (
        f"INSERT INTO {quote(CustomerValueSnapshot._meta.db_table)} "
        f"({', '.join(quote(n) for n in names)}) VALUES ({', '.join(['%s'] * len(names))})"
    )


def _write_snapshots(run: AnalyticsRun, frame, progress: Progress | None) -> int:
    """One executemany per SNAPSHOT_BATCH rows (no model instance per row): the number of
    statements is ⌈n / batch⌉ on every database. Money is rounded to fen; NaN → NULL."""
    import polars as pl

    rounded = frame.select(
        *(pl.col(name).round(2).fill_nan(None) for name in SNAPSHOT_MONEY),
        *(pl.col(n).fill_nan(None) for n in ("recency_weeks", "age_weeks", "predicted_purchases",
                                             "prob_alive")),
        *(pl.col(n) for n in SNAPSHOT_COLUMNS if n not in SNAPSHOT_MONEY
          and n not in ("recency_weeks", "age_weeks", "predicted_purchases", "prob_alive")),
    ).select(SNAPSHOT_COLUMNS)  # fmt: skip
    sql = _insert_sql()
    total, written = rounded.height, 0
    with connection.cursor() as cursor:
        for start in range(0, total, SNAPSHOT_BATCH):
            part = rounded.slice(start, SNAPSHOT_BATCH)
            columns = [[run.pk] * part.height] + [part[n].to_list() for n in SNAPSHOT_COLUMNS]
            cursor.executemany(sql, list(zip(*columns, strict=True)))
            written += part.height
            if progress is not None:
                progress("write", part.height, total)
    return written


def service_aggregates(settings_row: AnalyticsSettings, as_of: dt.date) -> dict[str, Any]:
    """Six Sigma levels (M46) and the complaint iceberg (M20) from ticket counts."""
    until = loaders.end_of_day(as_of)
    sigma_rows = []
    for defect in loaders.service_defects(until=until):
        if defect.units > 0:
            rate = float(dpmo(defect.defects, defect.units))
            level = float(sigma_level(rate)) if rate > 0 else None
        else:
            rate, level = None, None
        sigma_rows.append(
            {
                "key": defect.key,
                "units": defect.units,
                "defects": defect.defects,
                "dpmo": rate,
                "sigma": level,
            }
        )
    voiced = loaders.complaints_by_channel(until=until)
    ratios = dict(settings_row.iceberg_ratios)
    by_channel = {}
    if voiced:
        default = float(ratios.get(DEFAULT_KEY, 26.0))
        iceberg = complaint_iceberg(
            voiced, {channel: float(ratios.get(channel, default)) for channel in voiced}
        )
        by_channel = {
            "rows": iceberg.by_group.to_dicts(),
            "voiced_total": iceberg.voiced_total,
            "silent_total": iceberg.silent_total,
        }
    return {"six_sigma": sigma_rows, "iceberg": by_channel}


@transaction.atomic
def _finish(run, frame, result, *, actor, update_tiers: bool, progress) -> AnalyticsRun:
    written = _write_snapshots(run, frame, progress)
    changed = 0
    if update_tiers:
        tiers = dict(zip(frame["customer_id"].to_list(), frame["tier"].to_list(), strict=True))
        changed = customer_services.tier_set_bulk(
            actor=actor,
            tiers=tiers,
            reason=_("Analytics run #{run} ({basis})").format(
                run=run.pk, basis=result.aggregates.get("tier_basis", "")
            ),
        )
    run.counts = {**run.counts, "snapshots": written, "tiers_changed": changed}
    run.status = RunStatus.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "status", "finished_at", "timings", "fitted", "aggregates"])
    audit_record(
        actor=actor,
        action="analytics.refreshed",
        obj=run,
        changes={
            "counts": [None, run.counts],
            "update_tiers": [None, update_tiers],
            "fitted": [None, run.fitted],
        },
    )
    return run


STALE_RUN_HOURS = 6


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def mark_interrupted_runs(*, now: dt.datetime | None = None) -> int:
    """Mark runs that will never finish as failed: their process on this machine is gone (killed,
    crashed), or they have been running on another machine for more than STALE_RUN_HOURS.
    Without this a killed refresh would show as running for ever. Returns how many."""
    now = now or timezone.now()
    host = socket.gethostname()
    dead = []
    for run in AnalyticsRun.objects.filter(status=RunStatus.RUNNING).only(
        "pk", "parameters", "started_at"
    ):
        process = (run.parameters or {}).get("process") or {}
        if process.get("host") == host:
            if process.get("pid") is None or not _process_alive(int(process["pid"])):
                dead.append(run.pk)
        elif run.started_at < now - dt.timedelta(hours=STALE_RUN_HOURS):
            dead.append(run.pk)
    if dead:
        AnalyticsRun.objects.filter(pk__in=dead, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            finished_at=now,
            message="Interrupted: the process running it stopped before it finished.",
        )
    return len(dead)


def analytics_refresh(
    *,
    actor,
    update_tiers: bool = False,
    as_of: dt.date | None = None,
    run: AnalyticsRun | None = None,
    progress: Progress | None = None,
) -> AnalyticsRun:
    """Compute every customer's value, CLV, RFM, tier and profit and write a dated snapshot.

    Reads purchases, tickets and compensations in bulk, computes vectorised (pipeline), and
    writes the snapshot rows, the optional tier update (customers' tier_set_bulk, audited per
    customer) and the run's audit event in one transaction: a failure leaves only the run,
    marked failed, with its message.
    """
    _require(actor, "analytics.run_analytics")
    if update_tiers:
        _require(actor, "customers.change_tier")
    settings_row = AnalyticsSettings.current()
    as_of = as_of or timezone.localdate()
    params = parameters_from_settings(settings_row, as_of)
    mark_interrupted_runs()
    if run is None:
        run = AnalyticsRun.objects.create(
            as_of=as_of,
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
    run.as_of, run.status, run.parameters = as_of, RunStatus.RUNNING, params.as_json()
    run.parameters["update_tiers"] = update_tiers
    run.parameters["process"] = {"host": socket.gethostname(), "pid": os.getpid()}
    run.parameters["iceberg_ratios"] = dict(settings_row.iceberg_ratios)
    run.save(update_fields=["as_of", "status", "parameters"])
    try:
        started = time.perf_counter()
        inputs = loaders.value_inputs(
            as_of=as_of,
            progress=(lambda label, n: progress(label, n, None)) if progress else None,
        )
        loaded = time.perf_counter()
        result = compute_customer_value(inputs, params)
        computed = time.perf_counter()
        run.fitted = {**result.fitted, "warnings": result.warnings}
        run.counts = inputs.counts
        run.aggregates = {**result.aggregates, **service_aggregates(settings_row, as_of)}
        run.timings = {"load": round(loaded - started, 3), "compute": round(computed - loaded, 3)}
        _finish(
            run, result.frame, result, actor=actor, update_tiers=update_tiers, progress=progress
        )
        run.timings["write"] = round(time.perf_counter() - computed, 3)
        AnalyticsRun.objects.filter(pk=run.pk).update(timings=run.timings)
    except Exception as exc:
        AnalyticsRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), message=str(exc)[:2000]
        )
        run.status = RunStatus.FAILED
        raise
    return run


def analytics_refresh_request(*, actor, update_tiers: bool = False) -> AnalyticsRun:
    """Queue a refresh (API, admin): a run in state "queued" that the task then fills in."""
    _require(actor, "analytics.run_analytics")
    if update_tiers:
        _require(actor, "customers.change_tier")
    from kefu.analytics.tasks import analytics_refresh_task

    with transaction.atomic():
        run = AnalyticsRun.objects.create(
            as_of=timezone.localdate(), status=RunStatus.QUEUED, started_by=actor
        )
        audit_record(
            actor=actor,
            action="analytics.refresh_requested",
            obj=run,
            changes={"update_tiers": [None, update_tiers]},
        )
        enqueue(
            analytics_refresh_task,
            run_id=run.pk,
            actor_id=actor.pk if actor is not None else None,
            update_tiers=update_tiers,
        )
    return run
