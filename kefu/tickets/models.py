"""Tickets, their conversation, the append-only 3W event log, service recovery and problems."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.models import AppendOnlyError, TimeStampedModel, VersionedModel
from kefu.tickets.workflow import Kind, ResponseKind, Stage, Status

USER = settings.AUTH_USER_MODEL


class TicketKind(models.TextChoices):
    # A context keeps "Request" the ticket kind (服务请求), not the project's generic word.
    INQUIRY = Kind.INQUIRY, pgettext_lazy("ticket kind", "Inquiry")
    REQUEST = Kind.REQUEST, pgettext_lazy("ticket kind", "Request")
    COMPLAINT = Kind.COMPLAINT, pgettext_lazy("ticket kind", "Complaint")
    PRAISE = Kind.PRAISE, pgettext_lazy("ticket kind", "Praise & suggestion")


class TicketStatus(models.TextChoices):
    NEW = Status.NEW, _("New")
    OPEN = Status.OPEN, _("Open")
    PENDING = Status.PENDING, _("Pending")
    ON_HOLD = Status.ON_HOLD, _("On hold")
    SOLVED = Status.SOLVED, _("Solved")
    CLOSED = Status.CLOSED, _("Closed")


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ON_HOLD)
# The inbox's indexes of open tickets, and the columns its saved views' counts read.
OPEN_Q = models.Q(status__in=[str(s.value) for s in OPEN_STATUSES])
OPEN_INBOX_COLUMNS = [
    "assignee",
    "team",
    "status",
    "kind",
    "first_response_at",
    "first_response_due_at",
    "resolution_due_at",
]


class ComplaintStage(models.TextChoices):
    # A context keeps "Action" the LSPCAS stage (行动), not the project's generic "Action".
    LISTEN = Stage.LISTEN, pgettext_lazy("complaint stage", "Listen")
    SHARE = Stage.SHARE, pgettext_lazy("complaint stage", "Share")
    PROBLEM = Stage.PROBLEM, pgettext_lazy("complaint stage", "Problem")
    CHECK = Stage.CHECK, pgettext_lazy("complaint stage", "Check")
    ACTION = Stage.ACTION, pgettext_lazy("complaint stage", "Action")
    SATISFY = Stage.SATISFY, pgettext_lazy("complaint stage", "Satisfy")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEB = "web", _("Web portal")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    WECHAT = "wechat", _("WeChat")
    SMS = "sms", _("SMS")
    API = "api", _("API")
    OTHER = "other", _("Other")


class Category(models.Model):
    """Admin-defined tree of ticket categories (M23): product, delivery, billing, …"""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["parent_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="tickets_category_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.parent} / {self.name}" if self.parent_id else self.name


class RootCause(models.Model):
    """Why a complaint happened (the root-cause taxonomy used by poka-yoke and reports)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TicketTag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("ticket tag")
        verbose_name_plural = _("ticket tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Problem(VersionedModel):
    """A recurring problem behind many tickets (M22): root cause, workaround and standard fix."""

    class State(models.TextChoices):
        INVESTIGATING = "investigating", _("Investigating")
        KNOWN_ERROR = "known_error", _("Known error")
        RESOLVED = "resolved", _("Resolved")

    title = models.CharField(_("title"), max_length=200)
    root_cause = models.ForeignKey(
        RootCause, verbose_name=_("root cause"), null=True, blank=True, on_delete=models.SET_NULL
    )
    root_cause_detail = models.TextField(_("root cause detail"), blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    standard_fix = models.TextField(_("standard fix"), blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.INVESTIGATING
    )
    owner = models.ForeignKey(
        USER, verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("problem record")
        verbose_name_plural = _("problem records")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Ticket(VersionedModel):
    """A customer's inquiry, request, complaint or praise, from any channel."""

    public_id = models.CharField(
        _("ticket number"), max_length=20, unique=True, null=True, blank=True
    )
    subject = models.CharField(_("subject"), max_length=250)
    description = models.TextField(_("description"), blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=TicketKind.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    stage = models.CharField(_("stage"), max_length=10, choices=ComplaintStage.choices, blank=True)
    assignee = models.ForeignKey(
        USER,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    tags = models.ManyToManyField(TicketTag, verbose_name=_("tags"), blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)

    # 5W2H (M2): the structured intake of a complaint.
    w_what = models.TextField(_("what happened"), blank=True)
    w_why = models.TextField(_("why it matters to the customer"), blank=True)
    w_who = models.CharField(_("who was involved"), max_length=200, blank=True)
    w_when = models.CharField(_("when it happened"), max_length=100, blank=True)
    w_where = models.CharField(_("where it happened"), max_length=200, blank=True)
    w_how = models.TextField(_("how it happened"), blank=True)
    w_how_much = models.DecimalField(
        _("how much (amount involved)"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    # Complaint handling facts (LSPCAS, 4R, IANAR inputs).
    problem_statement = models.TextField(_("problem statement"), blank=True)
    problem_confirmed_by_customer = models.BooleanField(
        _("customer confirmed the problem"), default=False
    )
    problem_confirmed_by_company = models.BooleanField(_("we confirmed the problem"), default=False)
    root_cause = models.ForeignKey(
        RootCause, verbose_name=_("root cause"), null=True, blank=True, on_delete=models.PROTECT
    )
    resolution = models.TextField(_("resolution"), blank=True)
    response_kinds = models.JSONField(_("4R responses"), default=list, blank=True)
    customer_confirmed = models.BooleanField(_("customer confirmed the outcome"), default=False)
    satisfaction_answered = models.BooleanField(_("satisfaction answered"), default=False)
    satisfaction_due_at = models.DateTimeField(_("satisfaction answer due"), null=True, blank=True)
    failed_contact_count = models.PositiveIntegerField(_("unsuccessful contacts"), default=0)
    three_changes_tried = models.JSONField(_("three changes tried"), default=list, blank=True)
    is_repeat = models.BooleanField(_("repeat complaint"), default=False)

    # Relations between tickets.
    problem = models.ForeignKey(
        Problem,
        verbose_name=_("problem record"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    is_incident = models.BooleanField(_("incident"), default=False)
    incident = models.ForeignKey(
        "self",
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incident_children",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_tickets",
    )

    # Milestones (from events; kept here so the inbox and KPIs read them without joins).
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    last_agent_reply_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Due times set by the SLA module; indexed for the "due soon" and "breached" views.
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-updated_at", "-id"]
        indexes = [
            # `team` along: "solved" counted among a user's own tickets of other teams reads
            # the index alone.
            models.Index(
                fields=["status", "assignee", "-updated_at"],
                include=["team"],
                name="tickets_tic_status_24a76c_idx",
            ),
            models.Index(fields=["status", "team", "-updated_at"]),
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["resolution_due_at"]),
            models.Index(fields=["first_response_due_at"]),
            models.Index(fields=["kind", "status"]),
            models.Index(fields=["updated_at"]),  # incremental summaries (reports, quality)
            # The inbox: open tickets in update order, all of them, per assignee and per team,
            # covering what the saved views' counts read (PostgreSQL answers them from the
            # index alone). SQLite ignores `include`.
            models.Index(
                fields=["-updated_at", "-id"],
                include=OPEN_INBOX_COLUMNS,
                condition=OPEN_Q,
                name="tickets_open_updated_idx",
            ),
            models.Index(
                fields=["assignee", "-updated_at", "-id"],
                include=[c for c in OPEN_INBOX_COLUMNS if c != "assignee"],
                condition=OPEN_Q,
                name="tickets_open_assignee_idx",
            ),
            models.Index(
                fields=["team", "-updated_at", "-id"],
                include=[c for c in OPEN_INBOX_COLUMNS if c != "team"],
                condition=OPEN_Q,
                name="tickets_open_team_idx",
            ),
        ]
        permissions = [
            ("view_all_tickets", _("Can see tickets of every team")),
            ("approve_compensation", _("Can approve compensation")),
            ("manage_ticket_settings", _("Can configure categories, macros and reply rules")),
        ]

    def __str__(self) -> str:
        return f"{self.public_id or '#'} {self.subject}"

    @property
    def is_complaint(self) -> bool:
        return self.kind == TicketKind.COMPLAINT

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketEvent(models.Model):
    """The 3W record (M14): what we knew, when we knew it, what we did. Append-only."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    kind = models.CharField(_("event"), max_length=40)
    changes = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("ticket events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("ticket events are append-only")


class MessageKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer message")
    REPLY = "reply", _("Reply")
    NOTE = "note", _("Internal note")


class DeliveryState(models.TextChoices):
    NONE = "", _("Not sent")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Message(TimeStampedModel):
    """One entry of the conversation: a customer's message, a public reply or an internal note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    author = models.ForeignKey(
        USER, verbose_name=_("author"), null=True, blank=True, on_delete=models.SET_NULL
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    checker_warnings = models.JSONField(_("reply checker warnings"), default=list, blank=True)
    mentions = models.ManyToManyField(USER, blank=True, related_name="mentioned_in")
    external_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    delivery_state = models.CharField(
        _("delivery"), max_length=10, choices=DeliveryState.choices, blank=True
    )
    delivery_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_public(self) -> bool:
        return self.kind != MessageKind.NOTE


def attachment_path(instance: Attachment, filename: str) -> str:
    """Store under a random name: the customer's file name is never part of a path."""
    import uuid

    from django.utils import timezone

    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(TimeStampedModel):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class TicketLink(models.Model):
    class LinkKind(models.TextChoices):
        RELATED = "related", _("Related")
        DUPLICATE = "duplicate", _("Duplicate")
        SPLIT_FROM = "split_from", _("Split from")

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=12, choices=LinkKind.choices, default=LinkKind.RELATED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="tickets_link_unique"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="tickets_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class Remedy(models.TextChoices):
    APOLOGY = "apology", _("Apology")
    REFUND = "refund", _("Refund")
    VOUCHER = "voucher", _("Voucher")
    REPLACEMENT = "replacement", _("Replacement")
    GIFT = "gift", _("Gift")
    ONSITE_VISIT = "onsite_visit", _("On-site visit")
    OTHER = "other", _("Other")


class AuthorityLimit(models.Model):
    """How much a role (or one person) may grant per case and per month without approval (M18)."""

    role = models.CharField(_("role"), max_length=20, blank=True)
    user = models.ForeignKey(
        USER, verbose_name=_("person"), null=True, blank=True, on_delete=models.CASCADE
    )
    remedy = models.CharField(_("remedy"), max_length=20, choices=Remedy.choices)
    per_case = models.DecimalField(_("per case"), max_digits=12, decimal_places=2)
    per_month = models.DecimalField(
        _("per month"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("authority limit")
        verbose_name_plural = _("authority limits")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(role="") & models.Q(user__isnull=False))
                | (~models.Q(role="") & models.Q(user__isnull=True)),
                name="tickets_limit_role_xor_user",
            ),
        ]

    def __str__(self) -> str:
        who = self.user or self.role
        return f"{who}: {self.get_remedy_display()} ≤ {self.per_case}"


class CompensationState(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    GRANTED = "granted", _("Granted")


class Compensation(VersionedModel):
    """A remedy offered to the customer (M17). Above the requester's limit it needs approval."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="compensations")
    remedy = models.CharField(_("remedy"), max_length=20, choices=Remedy.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=10, choices=CompensationState.choices)
    requested_by = models.ForeignKey(
        USER, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    approver = models.ForeignKey(
        USER,
        verbose_name=_("approver"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="compensations_to_approve",
    )
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("compensation")
        verbose_name_plural = _("compensations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "approver"])]

    def __str__(self) -> str:
        return f"{self.get_remedy_display()} {self.amount} {self.currency}"

    @property
    def counts_as_granted(self) -> bool:
        return self.state in (CompensationState.APPROVED, CompensationState.GRANTED)


class IanarReview(VersionedModel):
    """The IANAR core-problem review of a closed complaint (M19)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="ianar")
    identify = models.TextField(_("identify: the core problem"), blank=True)
    analyse = models.TextField(_("analyse: root cause"), blank=True)
    negotiate = models.TextField(_("negotiate: agreed remedy"), blank=True)
    act = models.TextField(_("act: what was done"), blank=True)
    review = models.TextField(_("review: outcome and lesson"), blank=True)
    reviewed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("IANAR review")
        verbose_name_plural = _("IANAR reviews")

    def __str__(self) -> str:
        return f"IANAR {self.ticket_id}"


class FollowUp(TimeStampedModel):
    """A follow-up contact after closure (M24: recency and Hawthorne effects)."""

    class Outcome(models.TextChoices):
        PENDING = "", _("Not done yet")
        SATISFIED = "satisfied", _("Customer satisfied")
        NEUTRAL = "neutral", _("Neutral")
        UNHAPPY = "unhappy", _("Still unhappy")
        UNREACHABLE = "unreachable", _("Could not reach")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="follow_ups")
    due_at = models.DateTimeField(_("due"))
    assignee = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_at"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.due_at:%Y-%m-%d}"


class Opportunity(TimeStampedModel):
    """A sales opportunity noticed while serving the customer (M50)."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="opportunities")
    description = models.TextField(_("description"))
    estimated_value = models.DecimalField(
        _("estimated value"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    state = models.CharField(_("state"), max_length=6, choices=State.choices, default=State.OPEN)
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.description[:60]


class Macro(TimeStampedModel):
    """A saved reply with placeholders ({customer_name}, {ticket_id}, {agent_name}) and actions."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    body = models.TextField(_("reply text"))
    set_status = models.CharField(
        _("then set status"), max_length=10, choices=TicketStatus.choices, blank=True
    )
    add_tags = models.JSONField(_("then add tags"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReplyRule(models.Model):
    """An admin-defined reply-checker rule (M16), added to the built-in ones."""

    rule_id = models.SlugField(_("rule id"), max_length=60, unique=True)
    commandment = models.CharField(_("commandment"), max_length=40)
    language = models.CharField(_("language"), max_length=3, default="any")
    pattern = models.CharField(_("pattern"), max_length=300)
    is_regex = models.BooleanField(_("regular expression"), default=False)
    message = models.CharField(_("message"), max_length=300)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reply rule")
        verbose_name_plural = _("reply rules")

    def __str__(self) -> str:
        return self.rule_id


class TicketPresence(models.Model):
    """Who is looking at (or typing on) a ticket right now, for collision detection."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="presence")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()
    typing = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="tickets_presence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.ticket_id}"


RESPONSE_KIND_CHOICES = [
    (ResponseKind.REGRET.value, _("Regret")),
    (ResponseKind.REFORM.value, _("Reform")),
    (ResponseKind.RESTITUTION.value, _("Restitution")),
    (ResponseKind.RECOVERY.value, _("Recovery")),
]


class ClassifierTarget(models.TextChoices):
    CATEGORY = "category", _("Category")
    PRIORITY = "priority", _("Priority")


class TrainedClassifier(models.Model):
    """A text classifier trained on the organisation's closed tickets (M23), for one target.

    `model` holds the bytes of `classifier.TextClassifier.to_bytes` (a pickle: only Kefu writes
    it). The newest row per target is the one in use; the scores come from a held-out split.
    """

    target = models.CharField(_("suggests"), max_length=10, choices=ClassifierTarget.choices)
    model = models.BinaryField(_("model"))
    labels = models.JSONField(_("labels"), default=list)
    example_count = models.PositiveIntegerField(_("training examples"))
    test_size = models.PositiveIntegerField(_("held-out examples"), default=0)
    accuracy = models.FloatField(_("held-out accuracy"), null=True, blank=True)
    macro_f1 = models.FloatField(_("held-out macro F1"), null=True, blank=True)
    f1_by_label = models.JSONField(_("F1 by label"), default=dict, blank=True)
    sklearn_version = models.CharField(max_length=20, blank=True)
    trained_at = models.DateTimeField(_("trained"), auto_now_add=True)
    trained_by = models.ForeignKey(
        USER, verbose_name=_("trained by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("trained classifier")
        verbose_name_plural = _("trained classifiers")
        ordering = ["-trained_at", "-id"]
        indexes = [models.Index(fields=["target", "-trained_at"])]

    def __str__(self) -> str:
        return f"{self.get_target_display()} {self.trained_at:%Y-%m-%d %H:%M}"
