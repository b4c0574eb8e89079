"""Channels: mailboxes and inbound/outbound mail, call records, chats, external messages and
outbound webhooks. Only kefu.channels.services writes these rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import TimeStampedModel, VersionedModel

USER = settings.AUTH_USER_MODEL


class Mailbox(VersionedModel):
    """One IMAP mailbox polled for customer mail; its mail lands in a team and category."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.EmailField(
        _("address"), help_text=_("The support address customers write to.")
    )
    imap_host = models.CharField(_("IMAP host"), max_length=200)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_ssl = models.BooleanField(_("use TLS (IMAPS)"), default=True)
    imap_user = models.CharField(_("IMAP user"), max_length=200)
    password_env = models.CharField(
        _("password variable"),
        max_length=100,
        help_text=_("Name of the environment variable holding the password (never stored here)."),
    )
    folder = models.CharField(_("folder"), max_length=100, default="INBOX")
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_uid = models.PositiveBigIntegerField(_("last UID read"), default=0)
    uid_validity = models.PositiveBigIntegerField(_("UIDVALIDITY"), default=0)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]
        permissions = [("manage_channels", _("Can configure mailboxes and webhooks"))]

    def __str__(self) -> str:
        return self.name


class InboundStatus(models.TextChoices):
    PROCESSED = "processed", _("Processed")
    QUARANTINED = "quarantined", _("Quarantined")
    AUTO_REPLY = "auto_reply", _("Ignored: auto-reply")
    BOUNCE = "bounce", _("Ignored: bounce")


class InboundEmail(TimeStampedModel):
    """One received message, stored raw. Unique Message-ID and mailbox UID: exactly once."""

    mailbox = models.ForeignKey(
        Mailbox, verbose_name=_("mailbox"), null=True, blank=True, on_delete=models.SET_NULL
    )
    uid = models.PositiveBigIntegerField(_("UID"), null=True, blank=True)
    uid_validity = models.PositiveBigIntegerField(_("UIDVALIDITY"), default=0)
    message_id = models.CharField(_("Message-ID"), max_length=255, null=True, blank=True)
    raw = models.BinaryField(_("raw message"))
    raw_sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    from_address = models.CharField(_("from"), max_length=300, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=InboundStatus.choices)
    error = models.TextField(_("error"), blank=True)
    thread_rule = models.CharField(
        _("threading"),
        max_length=30,
        blank=True,
        choices=[
            ("in_reply_to", _("In-Reply-To header")),
            ("references", _("References header")),
            ("subject", _("Ticket number in subject")),
            ("new_ticket", _("New ticket")),
            ("closed_ticket", _("New ticket (earlier one closed)")),
        ],
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ticket_message = models.OneToOneField(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=1)

    class Meta:
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["message_id"], name="channels_inbound_unique_msgid"),
            # IMAP UIDs are unique only within one UIDVALIDITY (RFC 3501 §2.3.1.1).
            models.UniqueConstraint(
                fields=["mailbox", "uid_validity", "uid"], name="channels_inbound_unique_uid"
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        return self.message_id or f"#{self.pk}"


class OutboundState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundEmail(TimeStampedModel):
    """A public reply going out by email; retried with backoff until sent or given up."""

    ticket_message = models.OneToOneField(
        "tickets.Message", on_delete=models.CASCADE, related_name="outbound_email"
    )
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    to = models.JSONField(_("to"), default=list)
    subject = models.CharField(_("subject"), max_length=300)
    headers = models.JSONField(_("headers"), default=dict)
    state = models.CharField(
        _("state"), max_length=10, choices=OutboundState.choices, default=OutboundState.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return self.message_id


class CallRecord(TimeStampedModel):
    """One call from the CTI: the times feed workforce (ASA, AHT, abandonment) and KPIs (M31)."""

    external_id = models.CharField(_("external id"), max_length=200, unique=True)
    caller_number = models.CharField(_("caller number"), max_length=32)
    direction = models.CharField(
        _("direction"),
        max_length=8,
        choices=[("inbound", _("Inbound")), ("outbound", _("Outbound"))],
        default="inbound",
    )
    queue_name = models.CharField(_("queue"), max_length=100, blank=True)
    agent = models.ForeignKey(
        USER, verbose_name=_("agent"), null=True, blank=True, on_delete=models.SET_NULL
    )
    offered_at = models.DateTimeField(_("offered"), db_index=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    wait_seconds = models.FloatField(_("wait (s)"), default=0)
    talk_seconds = models.FloatField(_("talk (s)"), default=0)
    wrap_up_seconds = models.FloatField(_("wrap-up (s)"), default=0)
    abandoned = models.BooleanField(_("abandoned"), default=False)
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)
    disposition = models.CharField(_("disposition"), max_length=100, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("call record")
        verbose_name_plural = _("call records")
        ordering = ["-offered_at", "-id"]
        indexes = [models.Index(fields=["queue_name", "offered_at"])]

    def __str__(self) -> str:
        return self.external_id


class ChatTranscript(TimeStampedModel):
    """A chat session from a chat system, with its lines; attached to a ticket."""

    external_id = models.CharField(_("external id"), max_length=200, unique=True)
    channel = models.CharField(_("channel"), max_length=10, default="chat")
    visitor_name = models.CharField(_("visitor"), max_length=200, blank=True)
    queue_name = models.CharField(_("queue"), max_length=100, blank=True)
    agent = models.ForeignKey(
        USER, verbose_name=_("agent"), null=True, blank=True, on_delete=models.SET_NULL
    )
    started_at = models.DateTimeField(_("started"), db_index=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    wait_seconds = models.FloatField(_("wait (s)"), default=0)
    abandoned = models.BooleanField(_("abandoned"), default=False)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("chat transcript")
        verbose_name_plural = _("chat transcripts")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return self.external_id


class ChatLine(models.Model):
    transcript = models.ForeignKey(ChatTranscript, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    at = models.DateTimeField(_("at"))
    author = models.CharField(
        _("author"),
        max_length=10,
        choices=[("customer", _("Customer")), ("agent", _("Agent")), ("system", _("System"))],
    )
    text = models.TextField(_("text"))

    class Meta:
        ordering = ["transcript", "position"]
        constraints = [
            models.UniqueConstraint(fields=["transcript", "position"], name="channels_line_unique")
        ]

    def __str__(self) -> str:
        return f"{self.transcript_id}:{self.position}"


class ExternalMessage(TimeStampedModel):
    """A message from WeChat, SMS or social media; the (channel, external id) pair is the
    idempotency key, so a redelivered webhook adds nothing."""

    channel = models.CharField(_("channel"), max_length=10)
    external_id = models.CharField(_("external id"), max_length=200)
    sender = models.CharField(_("sender"), max_length=200)
    text = models.TextField(_("text"))
    sent_at = models.DateTimeField(_("sent"))
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.OneToOneField(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("external message")
        verbose_name_plural = _("external messages")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="channels_external_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"


WEBHOOK_EVENTS = (
    "ticket.created",
    "ticket.updated",
    "ticket.solved",
    "message.added",
    "sla.breached",
    "survey.answered",
)


class WebhookSubscription(VersionedModel):
    """An admin-configured URL that receives signed JSON for the chosen events."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("signing secret"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(TimeStampedModel):
    """One event sent (or to be sent) to one subscription, with its attempts."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=40)
    payload = models.JSONField(_("payload"))
    state = models.CharField(
        _("state"), max_length=10, choices=OutboundState.choices, default=OutboundState.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    response_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id}"
