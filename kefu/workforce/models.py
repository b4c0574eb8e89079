"""Queues, skills, agent presence, routing decisions and saved simulation runs (METHODS M31–M34).

Written only by ``kefu.workforce.services``; the pure math lives in the sibling modules.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kefu.core.models import TimeStampedModel, VersionedModel

USER = settings.AUTH_USER_MODEL


class QueueChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("Email")
    WEB = "web", _("Web portal")
    WECHAT = "wechat", _("WeChat")
    SMS = "sms", _("SMS")


class Strategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")
    LONGEST_IDLE = "longest_idle", _("Longest idle")
    SKILL_BASED = "skill_based", _("Skill based")
    TIER_AWARE = "tier_aware", _("Tier aware")


class PresenceState(models.TextChoices):
    AVAILABLE = "available", _("Available")
    BUSY = "busy", _("Busy")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class PresenceReason(models.TextChoices):
    NONE = "", _("No reason")
    BREAK = "break", _("Break")
    LUNCH = "lunch", _("Lunch")
    MEETING = "meeting", _("Meeting")
    TRAINING = "training", _("Training")
    COACHING = "coaching", _("Coaching")
    AFTER_CALL_WORK = "after_call_work", _("After-call work")
    OUTBOUND = "outbound", _("Outbound calls")
    END_OF_SHIFT = "end_of_shift", _("End of shift")


# Contacts an agent handles at once per channel unless their presence says otherwise.
DEFAULT_CAPACITY = {"phone": 1, "chat": 3, "email": 5, "web": 5, "wechat": 3, "sms": 5}

SENIOR_SKILL = "senior"


class Queue(VersionedModel):
    """Where contacts of one channel (and optionally one team) wait for an agent (队列)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=QueueChannel.choices)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="workforce_queues",
    )
    strategy = models.CharField(
        _("routing strategy"),
        max_length=20,
        choices=Strategy.choices,
        default=Strategy.LEAST_LOADED,
    )
    required_skills = models.ManyToManyField(
        "Skill", verbose_name=_("required skills"), blank=True, related_name="queues"
    )
    target_service_level = models.DecimalField(
        _("service-level target"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.800"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.999"))],
        help_text=_("Share of contacts answered within the answer time, e.g. 0.8."),
    )
    answer_seconds = models.PositiveIntegerField(
        _("answer time (s)"), default=20, validators=[MinValueValidator(1)]
    )
    aht_seconds = models.PositiveIntegerField(
        _("average handling time (s)"), default=180, validators=[MinValueValidator(1)]
    )
    priority = models.SmallIntegerField(_("priority"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["channel", "name"]
        permissions = [
            ("use_planning", _("Can use staffing, forecast and simulation tools")),
            ("view_live_wall", _("Can see the live wall")),
            ("route_contact", _("Can ask which agent gets a contact")),
        ]

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    """Something an agent can do: a product, a language, or seniority (技能)."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentSkill(models.Model):
    """An agent's level (1 = basic … 5 = expert) in one skill."""

    agent = models.ForeignKey(
        USER, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="agent_skills"
    )
    skill = models.ForeignKey(
        Skill, verbose_name=_("skill"), on_delete=models.CASCADE, related_name="agent_skills"
    )
    level = models.PositiveSmallIntegerField(
        _("level"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        verbose_name = _("agent skill")
        verbose_name_plural = _("agent skills")
        constraints = [
            models.UniqueConstraint(fields=["agent", "skill"], name="workforce_one_level_per_skill")
        ]

    def __str__(self) -> str:
        return f"{self.agent} · {self.skill} {self.level}"


class AgentPresence(VersionedModel):
    """One row per agent: their state now, since when, why, and how much they take at once."""

    agent = models.OneToOneField(
        USER, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="presence"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=PresenceState.choices, default=PresenceState.OFFLINE
    )
    reason = models.CharField(
        _("reason"), max_length=20, choices=PresenceReason.choices, blank=True
    )
    since = models.DateTimeField(_("since"))
    capacity = models.JSONField(
        _("capacity per channel"),
        default=dict,
        blank=True,
        help_text=_('Contacts at once per channel, e.g. {"phone": 1, "chat": 3}.'),
    )
    last_routed_at = models.DateTimeField(_("last routed"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent presence")
        verbose_name_plural = _("agent presences")
        indexes = [models.Index(fields=["state", "since"])]

    def __str__(self) -> str:
        return f"{self.agent} · {self.get_state_display()}"

    def capacity_for(self, channel: str) -> int:
        """Contacts of `channel` this agent takes at once (their setting or the default)."""
        value = (self.capacity or {}).get(channel, DEFAULT_CAPACITY.get(channel, 1))
        return int(value)


class RoutingDecision(models.Model):
    """Append-only log of which agent got a contact, by which strategy, and why."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    queue = models.ForeignKey(
        Queue, verbose_name=_("queue"), on_delete=models.CASCADE, related_name="decisions"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact_ref = models.CharField(
        _("contact reference"), max_length=100, blank=True, help_text=_("Call or chat id.")
    )
    customer_tier = models.CharField(_("customer tier"), max_length=1, blank=True)
    agent = models.ForeignKey(
        USER,
        verbose_name=_("chosen agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="routing_decisions",
    )
    strategy = models.CharField(_("strategy"), max_length=20, choices=Strategy.choices)
    reason = models.CharField(_("reason"), max_length=300)  # English, for logs and the API
    reason_code = models.CharField(_("reason code"), max_length=40, blank=True)
    reason_params = models.JSONField(_("reason parameters"), default=dict, blank=True)
    candidates = models.PositiveIntegerField(_("eligible agents"), default=0)
    requested_by = models.ForeignKey(
        USER,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("routing decision")
        verbose_name_plural = _("routing decisions")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["queue", "agent", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.queue} → {self.agent or '-'}"

    @property
    def reason_text(self) -> str:
        """The reason in the active language (decisions logged before reason codes: English)."""
        from kefu.workforce.routing import REASONS

        if self.reason_code not in REASONS:
            return self.reason
        try:
            return gettext(REASONS[self.reason_code]) % self.reason_params
        except (KeyError, TypeError, ValueError):
            return self.reason


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class SimulationRun(TimeStampedModel):
    """A saved simulation: its scenario (and emergency plan) inputs and its results as JSON."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        USER, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    inputs = models.JSONField(_("inputs"), default=dict)
    results = models.JSONField(_("results"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    seed = models.BigIntegerField(_("seed"), default=0)
    replications = models.PositiveIntegerField(_("replications"), default=10)
    expected_contacts = models.PositiveBigIntegerField(_("expected contacts"), default=0)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("simulation run")
        verbose_name_plural = _("simulation runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"
