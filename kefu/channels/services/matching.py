"""Finding the customer behind an address or number, creating one when nobody matches."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed
from kefu.customers import services as customers_services
from kefu.customers.contacts import ContactValueError, normalize_contact
from kefu.customers.models import ContactPoint, Customer

# The contact kinds that identify a customer on each channel.
KINDS_FOR = {
    "email": ("email",),
    "phone": ("mobile", "phone"),
    "sms": ("mobile", "phone"),
    "wechat": ("wechat",),
}
_NEW_KIND = {"email": "email", "phone": "mobile", "sms": "mobile", "wechat": "wechat"}


def normalised_or_error(kind: str, value: str, *, field: str) -> str:
    """The normalised contact value, or ValidationFailed naming `field`."""
    try:
        return normalize_contact(_NEW_KIND.get(kind, kind), value)
    except ContactValueError as exc:
        raise ValidationFailed(_(str(exc)), fields={field: _(str(exc))}) from exc


def customer_for_contact(*, channel: str, value: str, name: str = "", field: str) -> Customer:
    """The (unmerged) customer owning contact `value`, else a new customer with that contact.

    The oldest matching customer wins, so repeated contacts land on one record; merged records
    are followed to the survivor.
    """
    normalized = normalised_or_error(channel, value, field=field)
    contact = (
        ContactPoint.objects.filter(kind__in=KINDS_FOR[channel], normalized=normalized)
        .select_related("customer")
        .order_by("customer__merged_into_id", "customer_id")
        .first()
    )
    if contact is not None:
        customer = contact.customer
        seen = 0
        while customer.merged_into_id and seen < 10:  # follow merges to the surviving record
            customer = Customer.objects.get(pk=customer.merged_into_id)
            seen += 1
        return customer
    display = (name or "").strip() or default_customer_name(channel, normalized)
    with transaction.atomic():
        return customers_services.customer_create(
            actor=None, name=display[:200], contacts=[(_NEW_KIND[channel], value.strip())]
        )


def default_customer_name(channel: str, normalized: str) -> str:
    """A name for a customer known only by a contact: the email's local part, or the masked
    number (a name is shown to people who may not see phone numbers)."""
    from kefu.customers.contacts import mask_contact

    if channel == "email":
        return normalized.split("@")[0]
    return mask_contact(_NEW_KIND.get(channel, channel), normalized)


def backoff_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff after `attempts` failures: base, 2×base, 4×base, … (capped at 1 h)."""
    base = getattr(settings, "KEFU_CHANNELS_RETRY_BASE_SECONDS", 30)
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def max_attempts() -> int:
    return getattr(settings, "KEFU_CHANNELS_MAX_ATTEMPTS", 6)


def next_attempt(attempts: int, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) + backoff_delay(attempts)


@transaction.atomic
def save_versioned(*, actor, instance, model, allowed, data: dict, expected_version, action: str):
    """Create (instance None) or change a configuration row with optimistic locking + audit."""
    from django.core.exceptions import ValidationError

    from kefu.core.audit import audit_record, diff, snapshot
    from kefu.core.versioning import update_versioned

    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %s") % ", ".join(sorted(unknown)),
            fields={name: _("Unknown field.") for name in unknown},
        )
    try:
        if instance is None:
            instance = model(**data)
            instance.full_clean()
            instance.save()
            audit_record(
                actor=actor,
                action=f"{action}_created",
                obj=instance,
                changes=diff({}, snapshot(instance, list(data))),
            )
            return instance
        before = snapshot(instance, list(data))
        version = instance.version if expected_version is None else expected_version
        update_versioned(instance, expected_version=version, changes=data)
    except ValidationError as exc:
        raise ValidationFailed(
            _("Some fields are not valid."),
            fields=getattr(exc, "message_dict", {"__all__": exc.messages}),
        ) from exc
    audit_record(
        actor=actor,
        action=f"{action}_changed",
        obj=instance,
        changes=diff(before, snapshot(instance, list(data))),
    )
    return instance
