"""Forms of the channels pages (mailboxes, webhook subscriptions)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.channels.models import WEBHOOK_EVENTS, Mailbox, WebhookSubscription

EVENT_LABELS = {
    "ticket.created": _("Ticket created"),
    "ticket.updated": _("Ticket updated"),
    "ticket.solved": _("Ticket solved"),
    "message.added": _("Message added"),
    "sla.breached": _("SLA breached"),
    "survey.answered": _("Survey answered"),
}


class MailboxForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "address",
            "imap_host",
            "imap_port",
            "imap_ssl",
            "imap_user",
            "password_env",
            "folder",
            "team",
            "category",
            "is_active",
        ]


class SubscriptionForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(e, EVENT_LABELS[e]) for e in WEBHOOK_EVENTS],
        widget=forms.CheckboxSelectMultiple,
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        max_length=100,
        help_text=_("Leave empty to generate one. Receivers check the X-Kefu-Signature header."),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "events", "secret", "is_active"]
