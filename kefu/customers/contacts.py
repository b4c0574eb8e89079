"""Normalising contact values so that search and duplicate detection compare like with like.

Phones become E.164 (+8613812341234) with `phonenumbers`, default region CN; emails are
lower-cased; WeChat ids are kept as entered (they are case-sensitive); addresses are trimmed.
No Django imports.
"""

from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "CN"
PHONE_KINDS = frozenset({"phone", "mobile"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WECHAT = re.compile(r"^[-_A-Za-z0-9]{2,40}$")


def _(message: str) -> str:
    return message


class ContactValueError(ValueError):
    """A contact value that cannot be normalised; the message says why."""


def normalize_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """E.164 form of a phone number ('138 1234 1234' → '+8613812341234')."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ContactValueError(_("This is not a phone number.")) from exc
    if not phonenumbers.is_possible_number(number):
        raise ContactValueError(_("This is not a valid phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ContactValueError(_("This is not an email address."))
    return value


def normalize_wechat(value: str) -> str:
    value = value.strip()
    if not _WECHAT.match(value):
        raise ContactValueError(_("A WeChat id has 2–40 letters, digits, - or _."))
    return value


def normalize_contact(kind: str, value: str) -> str:
    """The normalised value of a contact of `kind` (email, phone, mobile, wechat, address)."""
    value = (value or "").strip()
    if not value:
        raise ContactValueError(_("This field is required."))
    if kind in PHONE_KINDS:
        return normalize_phone(value)
    if kind == "email":
        return normalize_email(value)
    if kind == "wechat":
        return normalize_wechat(value)
    if kind == "address":
        return " ".join(value.split()).lower()
    raise ContactValueError(_("Unknown contact kind."))


def search_digits(value: str) -> str:
    """The national digits of a phone for fragment search ('+8613812341234' → '13812341234')."""
    digits = re.sub(r"\D", "", value)
    return digits[2:] if value.startswith("+86") else digits


def mask_phone(value: str) -> str:
    """Hide the middle of a phone number: '13812341234' → '138****1234'."""
    digits = search_digits(value) if value.startswith("+") else re.sub(r"\D", "", value)
    if len(digits) < 7:
        return "*" * len(digits)
    keep_head = 3
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]


def mask_email(value: str) -> str:
    """Hide all but the first letter of the local part: 'zhang@example.com' → 'z***@example.com'."""
    local, sep, domain = value.partition("@")
    if not sep:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_text(value: str) -> str:
    """Hide all but the first and last character (WeChat ids, addresses)."""
    if len(value) <= 2:
        return "*" * len(value)
    return f"{value[0]}***{value[-1]}"


def mask_contact(kind: str, value: str) -> str:
    """The masked form of a contact value shown to users without the view_pii permission."""
    if kind in PHONE_KINDS:
        return mask_phone(value)
    if kind == "email":
        return mask_email(value)
    return mask_text(value)
