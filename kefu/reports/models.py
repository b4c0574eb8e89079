"""Saved pivot reports (with their email schedule), churn model runs and per-customer churn
risk, and free SWOT entries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import TimeStampedModel, VersionedModel

USER = settings.AUTH_USER_MODEL


class Schedule(models.TextChoices):
    NONE = "", _("Not scheduled")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly (Mondays)")
    MONTHLY = "monthly", _("Monthly (1st)")


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel")
    CSV = "csv", _("CSV")
    PDF = "pdf", _("PDF")


class SavedReport(VersionedModel):
    """A pivot definition (the whitelisted spec) saved by its owner, optionally shared and
    emailed on a schedule."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        USER, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="saved_reports"
    )
    shared = models.BooleanField(_("shared with everyone who can see reports"), default=False)
    spec = models.JSONField(_("definition"), default=dict)
    schedule = models.CharField(
        _("email schedule"), max_length=8, choices=Schedule.choices, blank=True
    )
    recipients = models.TextField(_("recipients"), blank=True, help_text=_("One email a line."))
    export_format = models.CharField(
        _("format"), max_length=4, choices=ExportFormat.choices, default=ExportFormat.XLSX
    )
    next_run_at = models.DateTimeField(_("next email"), null=True, blank=True, db_index=True)
    last_sent_at = models.DateTimeField(_("last emailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")
        ordering = ["name", "id"]
        permissions = [
            ("view_reports", _("Can see reports and dashboards")),
            ("view_mining", _("Can see churn risk and customer clusters")),
            ("run_mining", _("Can train the churn model")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def recipient_list(self) -> list[str]:
        return [
            line.strip() for line in self.recipients.replace(",", "\n").splitlines() if line.strip()
        ]


class ChurnModelRun(TimeStampedModel):
    """One training of the churn model: held-out evaluation, sensitivity analysis, clusters
    and behaviour summaries for the model page, and the pickled model."""

    class Status(models.TextChoices):
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    as_of = models.DateField(_("as of"))
    horizon_days = models.PositiveIntegerField(_("horizon (days)"), default=90)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    started_by = models.ForeignKey(
        USER, verbose_name=_("started by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    metrics = models.JSONField(default=dict, blank=True)
    importance = models.JSONField(default=list, blank=True)
    partial_dependence = models.JSONField(default=list, blank=True)
    calibration = models.JSONField(default=list, blank=True)
    clusters = models.JSONField(default=dict, blank=True)
    behaviour = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    model_blob = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("churn model run")
        verbose_name_plural = _("churn model runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.as_of}"


class CustomerRisk(models.Model):
    """The latest churn score of a customer, its top contributing factors and cluster."""

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="churn_risk",
    )
    run = models.ForeignKey(ChurnModelRun, on_delete=models.CASCADE, related_name="scores")
    probability = models.FloatField(_("churn probability"))
    revenue_at_risk = models.DecimalField(
        _("revenue at risk"), max_digits=14, decimal_places=2, default=0
    )
    factors = models.JSONField(_("contributing factors"), default=list, blank=True)
    cluster = models.PositiveSmallIntegerField(_("cluster"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer churn risk")
        verbose_name_plural = _("customer churn risks")
        indexes = [models.Index(fields=["-revenue_at_risk"]), models.Index(fields=["cluster"])]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.probability:.2f}"


class SwotQuadrant(models.TextChoices):
    STRENGTH = "strength", _("Strengths")
    WEAKNESS = "weakness", _("Weaknesses")
    OPPORTUNITY = "opportunity", _("Opportunities")
    THREAT = "threat", _("Threats")


class SwotEntry(TimeStampedModel):
    """A free SWOT entry added by a manager next to the ones derived from the data (M51)."""

    quadrant = models.CharField(_("quadrant"), max_length=12, choices=SwotQuadrant.choices)
    text = models.CharField(_("text"), max_length=500)
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("SWOT entry")
        verbose_name_plural = _("SWOT entries")
        ordering = ["quadrant", "created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class TicketDaySummary(models.Model):
    """The ticket pivot's fact table: tickets (merged ones excluded) grouped by their local
    creation day and the low-cardinality ticket dimensions, with additive measures (counts and
    sums). Foreign keys keep the ids, not names, so renaming a team or moving a category in the
    tree needs no refresh; they carry no database constraint (a deleted team simply joins to
    nothing, as the ticket's SET_NULL does). Several roll-ups live side by side (`rollup`): the
    full key and narrower ones whose other columns are NULL. Maintained by
    kefu.reports.summary."""

    rollup = models.PositiveSmallIntegerField(default=0)  # kefu.reports.summary.ROLLUPS index
    day = models.DateField()
    channel = models.CharField(max_length=10, null=True)
    kind = models.CharField(max_length=10, null=True)
    priority = models.CharField(max_length=10, null=True)
    status = models.CharField(max_length=10, null=True)
    category = models.ForeignKey(
        "tickets.Category",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    root_cause = models.ForeignKey(
        "tickets.RootCause",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    assignee = models.ForeignKey(
        USER, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    tickets = models.BigIntegerField(default=0)
    first_response_s_n = models.BigIntegerField(default=0)
    first_response_s_sum = models.FloatField(null=True)
    resolution_s_n = models.BigIntegerField(default=0)
    resolution_s_sum = models.FloatField(null=True)
    amount_involved_n = models.BigIntegerField(default=0)
    amount_involved_sum = models.FloatField(null=True)
    failed_contacts_n = models.BigIntegerField(default=0)
    failed_contacts_sum = models.FloatField(null=True)

    class Meta:
        indexes = [models.Index(fields=["rollup", "day"])]
        verbose_name = _("ticket day summary")
        verbose_name_plural = _("ticket day summaries")

    def __str__(self) -> str:
        return f"{self.day} #{self.rollup}: {self.tickets}"


class SummaryState(models.Model):
    """Bookkeeping of a summary table: the time zone its days are in, when it was last
    refreshed (the watermark) and fully rebuilt."""

    name = models.CharField(max_length=40, unique=True)
    time_zone = models.CharField(max_length=64)
    watermark = models.DateTimeField(null=True)
    rebuilt_at = models.DateTimeField(null=True)
    rows = models.BigIntegerField(default=0)
    rows_by_rollup = models.JSONField(default=dict)
    days_refreshed = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("summary state")
        verbose_name_plural = _("summary states")

    def __str__(self) -> str:
        return f"{self.name} ({self.watermark})"
