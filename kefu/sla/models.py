"""Business calendars, SLA policies, per-ticket SLA clocks and escalation rules (M25, M26)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.models import TimeStampedModel, VersionedModel

USER = settings.AUTH_USER_MODEL


class TargetKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", pgettext_lazy("sla target", "First response")
    NEXT_RESPONSE = "next_response", pgettext_lazy("sla target", "Next response")
    RESOLUTION = "resolution", pgettext_lazy("sla target", "Resolution")
    ONSITE = "onsite", pgettext_lazy("sla target", "On-site visit")


TARGET_KINDS = tuple(TargetKind.values)


class BreachReason(models.TextChoices):
    """Why a target was missed, recorded by the team afterwards (for the breach-reason report)."""

    WORKLOAD = "workload", _("Too many contacts / not enough staff")
    THIRD_PARTY = "third_party", _("Waiting on a third party or another department")
    CUSTOMER = "customer", _("Customer unreachable or late to answer")
    COMPLEX = "complex", _("Complex case needing a specialist")
    HANDOVER = "handover", _("Lost in a hand-over between people or teams")
    SYSTEM = "system", _("System or tool failure")
    TARGET = "target", _("Target unrealistic for this case")
    OTHER = "other", _("Other")


class BusinessCalendar(VersionedModel):
    """Working hours in a time zone: weekly spans, holidays, make-up working days, or 24×7.

    The columns hold the JSON form of `kefu.sla.calendar.BusinessCalendar` (docs/sla-calendar.md);
    `services.calendar_core` turns a row into that pure value.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    always_open = models.BooleanField(_("24×7"), default=False)
    weekly = models.JSONField(_("weekly working hours"), default=dict, blank=True)
    holidays = models.JSONField(_("holidays"), default=list, blank=True)
    makeup_days = models.JSONField(_("make-up working days"), default=list, blank=True)
    makeup_spans = models.JSONField(_("make-up day hours"), default=list, blank=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]
        permissions = [("manage_sla", _("Can configure SLA calendars, policies and escalations"))]

    def __str__(self) -> str:
        return self.name

    def definition(self) -> dict:
        """The calendar's JSON form (input of `BusinessCalendar.from_dict`)."""
        if self.always_open:
            return {"timezone": self.timezone, "always_open": True}
        data: dict = {
            "timezone": self.timezone,
            "weekly": self.weekly,
            "holidays": self.holidays,
            "makeup_days": self.makeup_days,
        }
        if self.makeup_spans:
            data["makeup_spans"] = self.makeup_spans
        return data


class SlaPolicy(VersionedModel):
    """Conditions (empty = any) and targets; the first active policy by `position` that matches a
    ticket applies to it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("order"), default=0, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("business calendar"), on_delete=models.PROTECT
    )
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    kinds = models.JSONField(_("kinds"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    tiers = models.JSONField(_("customer tiers"), default=list, blank=True)
    categories = models.ManyToManyField(
        "tickets.Category", verbose_name=_("categories"), blank=True, related_name="+"
    )
    organizations = models.ManyToManyField(
        "customers.Customer", verbose_name=_("organisations"), blank=True, related_name="+"
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response (minutes)"), null=True, blank=True
    )
    first_response_business = models.BooleanField(
        _("first response in business time"), default=True
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response (minutes)"), null=True, blank=True
    )
    next_response_business = models.BooleanField(_("next response in business time"), default=True)
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (minutes)"), null=True, blank=True
    )
    resolution_business = models.BooleanField(_("resolution in business time"), default=True)
    onsite_minutes = models.PositiveIntegerField(
        _("on-site visit (minutes)"), null=True, blank=True
    )
    onsite_business = models.BooleanField(_("on-site visit in business time"), default=False)
    on_hold_pauses = models.BooleanField(_("on hold pauses the clocks"), default=False)
    status_message_after_minutes = models.PositiveIntegerField(
        _("send a status message after waiting (minutes)"), null=True, blank=True
    )
    status_message_template = models.TextField(_("status message"), blank=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def targets(self) -> dict[str, dict]:
        """{target kind: {"minutes": int, "business": bool}} for the targets this policy sets."""
        out = {}
        for kind in TARGET_KINDS:
            minutes = getattr(self, f"{kind}_minutes")
            if minutes is not None:
                out[kind] = {"minutes": minutes, "business": getattr(self, f"{kind}_business")}
        return out


class TicketSla(models.Model):
    """The SLA applied to one ticket: a snapshot of the policy's targets at application time and
    the ticket's status history, from which every clock is recomputed."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla", verbose_name=_("ticket")
    )
    policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA policy"), null=True, on_delete=models.SET_NULL
    )
    policy_version = models.PositiveIntegerField(default=0)
    calendar = models.ForeignKey(BusinessCalendar, null=True, on_delete=models.SET_NULL)
    pause_statuses = models.JSONField(default=list)
    # [[ISO start, status], ...] in time order; each interval ends where the next starts.
    history = models.JSONField(default=list)
    applied_at = models.DateTimeField(_("applied"))
    waiting_since = models.DateTimeField(null=True, blank=True)
    status_message_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    status_message_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket SLA")
        verbose_name_plural = _("ticket SLAs")

    def __str__(self) -> str:
        return f"SLA {self.ticket_id}"


class TicketSlaTarget(models.Model):
    """One clock of a ticket: first response, next response, resolution or on-site visit."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        MET = "met", _("Met")
        STOPPED = "stopped", _("Stopped")

    ticket_sla = models.ForeignKey(TicketSla, on_delete=models.CASCADE, related_name="targets")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("target"), max_length=20, choices=TargetKind.choices)
    minutes = models.PositiveIntegerField(_("minutes"))
    business_time = models.BooleanField(_("business time"), default=True)
    started_at = models.DateTimeField(_("started"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    met_at = models.DateTimeField(_("met"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    elapsed_seconds = models.FloatField(default=0)
    paused_seconds = models.FloatField(default=0)
    paused_intervals = models.JSONField(default=list, blank=True)
    cycles = models.PositiveIntegerField(default=1)
    # When the sweep must next look at this clock (the next escalation threshold or the breach).
    alert_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField()
    breach_reason = models.CharField(
        _("breach reason"), max_length=20, choices=BreachReason.choices, blank=True
    )
    breach_note = models.TextField(_("breach note"), blank=True)
    breach_reason_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    breach_reason_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["ticket_sla", "kind"], name="sla_target_unique_kind")
        ]
        indexes = [
            models.Index(fields=["alert_at"], name="sla_target_alert_idx"),
            models.Index(fields=["kind", "due_at"], name="sla_target_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class EscalationRule(VersionedModel):
    """At `at_percent` of a target (or at its breach when empty), do `action` once per ticket."""

    class Action(models.TextChoices):
        NOTIFY_ASSIGNEE = "notify_assignee", _("Notify the assignee")
        NOTIFY_LEAD = "notify_lead", _("Notify the team lead")
        REASSIGN_TEAM = "reassign_team", _("Reassign to a team")
        RAISE_PRIORITY = "raise_priority", _("Raise the priority")
        ADD_TAG = "add_tag", _("Add a tag")

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    policy = models.ForeignKey(
        SlaPolicy,
        verbose_name=_("only for policy"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalation_rules",
    )
    target = models.CharField(_("target"), max_length=20, choices=TargetKind.choices)
    at_percent = models.PositiveIntegerField(
        _("at % of the target"), null=True, blank=True, help_text=_("Empty: at the breach.")
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT
    )
    tag = models.CharField(_("tag"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")
        ordering = ["target", "at_percent", "id"]

    def __str__(self) -> str:
        return self.name


class EscalationFiring(TimeStampedModel):
    """An escalation that fired; unique per ticket, rule and target so it fires once."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(EscalationRule, on_delete=models.CASCADE, related_name="firings")
    target = models.CharField(max_length=20, choices=TargetKind.choices)
    cycle = models.PositiveIntegerField(default=1)
    percent_elapsed = models.FloatField()
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "rule", "target", "cycle"], name="sla_firing_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.ticket_id}"


class PolicyReapplication(TimeStampedModel):
    """An admin asked to apply a policy's current targets to open tickets (recorded)."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="reapplications")
    actor = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    ticket_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("policy re-application")
        verbose_name_plural = _("policy re-applications")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.created_at:%Y-%m-%d}"
