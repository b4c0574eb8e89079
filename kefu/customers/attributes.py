"""Validating Customer.attributes against the CustomAttribute definitions. No Django imports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any


def _(message: str) -> str:
    return message


@dataclass(frozen=True)
class AttributeDefinition:
    key: str
    label: str
    type: str  # text | number | date | choice
    choices: tuple[str, ...] = ()
    required: bool = False


def clean_attributes(
    values: Mapping[str, Any], definitions: Iterable[AttributeDefinition]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (cleaned values, errors by 'attributes.<key>'): numbers as str(Decimal), dates ISO."""
    by_key = {d.key: d for d in definitions}
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key in values:
        if key not in by_key:
            errors[f"attributes.{key}"] = _("Unknown attribute.")
    for key, definition in by_key.items():
        raw = values.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if definition.required:
                errors[f"attributes.{key}"] = _("This field is required.")
            continue
        try:
            cleaned[key] = _clean_value(definition, raw)
        except ValueError as exc:
            errors[f"attributes.{key}"] = str(exc)
    return cleaned, errors


def _clean_value(definition: AttributeDefinition, raw: Any) -> Any:
    if definition.type == "number":
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation as exc:
            raise ValueError(_("Enter a number.")) from exc
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        return str(number)
    if definition.type == "date":
        if isinstance(raw, dt.date):
            return raw.isoformat()
        try:
            return dt.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError as exc:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from exc
    if definition.type == "choice":
        value = str(raw).strip()
        if value not in definition.choices:
            raise ValueError(_("Choose one of: %s") % ", ".join(definition.choices))
        return value
    return str(raw).strip()
