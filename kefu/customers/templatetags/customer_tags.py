"""Template helpers for customer pages: masked contacts and tier/credit badges."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from kefu.customers.contacts import mask_contact

register = template.Library()

TIER_BADGES = {"A": "badge-violet", "B": "badge-blue", "C": "badge-neutral", "D": "badge-amber"}
CREDIT_BADGES = {"A": "badge-green", "B": "badge-blue", "C": "badge-amber", "D": "badge-red"}


@register.filter
def masked(contact, show_pii: bool) -> str:
    """A contact's value, or its masked form (138****1234) for users without view_pii."""
    return contact.value if show_pii else mask_contact(contact.kind, contact.value)


@register.simple_tag
def masked_value(kind: str, value: str, show_pii: bool) -> str:
    if show_pii or kind == "name":
        return value
    return mask_contact(kind, value)


@register.inclusion_tag("customers/_badges.html")
def customer_badges(customer) -> dict:
    """Tier, VIP and credit grade as badges with text (colour is never the only signal)."""
    return {
        "tier": customer.tier,
        "tier_class": TIER_BADGES.get(customer.tier, "badge-neutral"),
        "is_vip": customer.is_vip,
        "credit": customer.credit_grade,
        "credit_class": CREDIT_BADGES.get(customer.credit_grade, "badge-neutral"),
        "is_organization": customer.kind == "organization",
        "tier_title": _("Tier (ABCD management)"),
    }


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template ({{ weights|get_item:name }}), None when missing."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def timeline_label(kind: str) -> str:
    """The translated name of a timeline row's kind (its registered source's label)."""
    from kefu.customers.timeline import SOURCES

    source = SOURCES.get(kind)
    return str(source.label) if source else kind
