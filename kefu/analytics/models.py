"""Analytics runs, their per-customer value snapshots, and the admin-editable settings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import VersionedModel


def default_tier_cutoffs() -> list[float]:
    return [0.10, 0.30, 0.60]


def default_cost_per_minute() -> dict[str, float]:
    """Fully loaded cost of one agent minute by ticket channel (CNY)."""
    return {"phone": 2.0, "chat": 1.5, "wechat": 1.5, "email": 1.2, "web": 1.2, "default": 1.5}


def default_standard_minutes() -> dict[str, float]:
    """Handling minutes assumed per ticket by channel (until handling times are recorded)."""
    return {
        "phone": 12.0,
        "chat": 10.0,
        "wechat": 10.0,
        "email": 15.0,
        "web": 15.0,
        "default": 12.0,
    }


def default_iceberg_ratios() -> dict[str, float]:
    """Silent dissatisfied customers per voiced complaint, by channel (TARP: about 26)."""
    return {"default": 26.0}


class TierBasis(models.TextChoices):
    CLV = "clv", _("Predicted lifetime value (CLV)")
    HISTORIC = "historic_value", _("Historic value")
    PROFIT = "profit", _("Profit")


class AnalyticsSettings(VersionedModel):
    """One row: the parameters every analytics refresh uses. Changed through the service
    (audited); the admin form calls it."""

    tier_cutoffs = models.JSONField(
        _("tier cut-offs"),
        default=default_tier_cutoffs,
        help_text=_("Shares of customers from the top: [A, B, C], e.g. [0.1, 0.3, 0.6]."),
    )
    tier_basis = models.CharField(
        _("tier basis"), max_length=20, choices=TierBasis.choices, default=TierBasis.CLV
    )
    discount_rate = models.FloatField(_("annual discount rate"), default=0.10)
    horizon_weeks = models.PositiveIntegerField(_("CLV horizon (weeks)"), default=52)
    default_margin_rate = models.FloatField(
        _("default margin rate"),
        default=0.25,
        help_text=_("Used for purchases without a recorded gross margin."),
    )
    cost_per_minute = models.JSONField(
        _("cost per minute by channel"), default=default_cost_per_minute
    )
    standard_minutes = models.JSONField(
        _("standard handling minutes by channel"), default=default_standard_minutes
    )
    iceberg_ratios = models.JSONField(
        _("complaint iceberg ratios by channel"), default=default_iceberg_ratios
    )
    top_share = models.FloatField(_("top customer share"), default=0.10)

    class Meta:
        verbose_name = _("analytics settings")
        verbose_name_plural = _("analytics settings")
        permissions = [
            ("view_analytics", _("Can see customer value analytics")),
            ("run_analytics", _("Can start an analytics refresh")),
        ]

    def __str__(self) -> str:
        return str(_("Analytics settings"))

    @classmethod
    def current(cls) -> AnalyticsSettings:
        """The one settings row (created with the defaults on first use)."""
        row = cls.objects.order_by("id").first()
        return row if row is not None else cls.objects.create()


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class AnalyticsRun(models.Model):
    """One refresh: when, by whom, with which parameters, the fitted models and counts."""

    as_of = models.DateField(_("as of"))
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    fitted = models.JSONField(_("fitted models"), default=dict, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    timings = models.JSONField(_("timings (s)"), default=dict, blank=True)
    aggregates = models.JSONField(_("aggregates"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("analytics run")
        verbose_name_plural = _("analytics runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.as_of:%Y-%m-%d} #{self.pk} ({self.get_status_display()})"


class CustomerValueSnapshot(models.Model):
    """One customer's value figures in one run (written in bulk, never edited)."""

    run = models.ForeignKey(
        AnalyticsRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="snapshots"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="value_snapshots",
    )
    purchase_count = models.PositiveIntegerField(_("purchases"), default=0)
    historic_value = models.DecimalField(_("historic value"), max_digits=16, decimal_places=2)
    frequency = models.PositiveIntegerField(_("repeat purchases"), default=0)
    recency_weeks = models.FloatField(_("recency (weeks)"), null=True, blank=True)
    age_weeks = models.FloatField(_("age (weeks)"), null=True, blank=True)
    days_since_last = models.IntegerField(_("days since last purchase"), null=True, blank=True)
    predicted_purchases = models.FloatField(_("predicted purchases"), null=True, blank=True)
    prob_alive = models.FloatField(_("probability alive"), null=True, blank=True)
    clv = models.DecimalField(
        _("lifetime value (CLV)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    r_score = models.PositiveSmallIntegerField(_("R"), default=0)
    f_score = models.PositiveSmallIntegerField(_("F"), default=0)
    m_score = models.PositiveSmallIntegerField(_("M"), default=0)
    segment = models.CharField(_("RFM segment"), max_length=30, blank=True)
    tier = models.CharField(_("tier"), max_length=1, blank=True)
    gross_margin = models.DecimalField(_("gross margin"), max_digits=16, decimal_places=2)
    cost_to_serve = models.DecimalField(_("cost to serve"), max_digits=16, decimal_places=2)
    profit = models.DecimalField(_("profit"), max_digits=16, decimal_places=2)
    handling_minutes = models.FloatField(_("handling minutes"), default=0)
    compensation = models.DecimalField(_("compensation"), max_digits=16, decimal_places=2)
    cost_driver = models.CharField(_("largest cost driver"), max_length=20, blank=True)
    ticket_count = models.PositiveIntegerField(_("tickets"), default=0)
    complaint_count = models.PositiveIntegerField(_("complaints"), default=0)
    is_top = models.BooleanField(_("top customer"), default=False)
    is_loss_maker = models.BooleanField(_("loss-making"), default=False)

    class Meta:
        verbose_name = _("customer value snapshot")
        verbose_name_plural = _("customer value snapshots")
        ordering = ["run", "-profit", "id"]
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="analytics_snapshot_unique")
        ]
        indexes = [
            models.Index(fields=["run", "tier"]),
            models.Index(fields=["run", "segment"]),
            models.Index(fields=["run", "-profit"]),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.customer_id} {self.tier} {self.segment}"
