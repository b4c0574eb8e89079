"""Everything Kefu holds about one customer, as one archive (the right of access, PIPL art. 45 /
GDPR art. 15).

The export follows the foreign keys: every row of any app that points at the customer, then every
row that points at one of those rows (a ticket's messages, events, compensations and SLA clocks; a
survey response's answers; a message's attachments, whose files are copied into the archive), up
to three steps away. It never walks back into another customer or another customer's ticket
(organisation members, incidents, merged and linked tickets are referenced by id only), and a
portal login is exported without its password hash.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from kefu.core.audit import audit_record
from kefu.core.permissions import require_perm
from kefu.customers.models import Customer

FORMAT = "kefu.customer-data-export"
FORMAT_VERSION = 1
MAX_DEPTH = 3
USER_FIELDS_LEFT_OUT = {"password", "user_permissions", "groups"}


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, bytes | memoryview):
            return {"base64": base64.b64encode(bytes(o)).decode("ascii")}
        return super().default(o)


@dataclass(frozen=True)
class DataExport:
    filename: str
    content: bytes
    counts: dict[str, int]


# Rows about the staff's work, not about the customer: QA evaluations and staffing data
# belong to the agents (and are their personal data, not the customer's).
APPS_LEFT_OUT = {"quality", "workforce"}


def _reverse_relations(model: type[models.Model]) -> list[models.ForeignObjectRel]:
    """Foreign keys and one-to-ones from other rows that point at `model`'s rows — hidden ones
    (related_name="+", e.g. a survey response's or an inbound email's) included."""
    return [
        rel
        for rel in model._meta.get_fields(include_hidden=True)
        if rel.auto_created
        and not rel.concrete
        and (rel.one_to_many or rel.one_to_one)
        and rel.related_model is not None
        and rel.related_model._meta.app_label not in APPS_LEFT_OUT
    ]


def _owned_rows(customer: Customer) -> dict[str, list[models.Model]]:
    """Rows held about `customer`, by model label (breadth first, MAX_DEPTH steps)."""
    from kefu.tickets.models import Ticket

    found: dict[str, dict[object, models.Model]] = defaultdict(dict)
    found[Customer._meta.label][customer.pk] = customer
    frontier: list[tuple[type[models.Model], list[object]]] = [(Customer, [customer.pk])]
    for _depth in range(MAX_DEPTH):
        next_frontier = []
        for model, ids in frontier:
            for rel in _reverse_relations(model):
                related = rel.related_model
                # Never into another customer, nor from a ticket into other tickets.
                if related is Customer or (related is Ticket and model is not Customer):
                    continue
                rows = related._default_manager.filter(**{f"{rel.field.name}__in": ids})
                new = [row for row in rows if row.pk not in found[related._meta.label]]
                for row in new:
                    found[related._meta.label][row.pk] = row
                if new:
                    next_frontier.append((related, [row.pk for row in new]))
        frontier = next_frontier
    return {label: list(rows.values()) for label, rows in found.items() if rows}


def _serialise(rows: list[models.Model]) -> list[dict]:
    records = serializers.serialize("python", rows)
    for record in records:
        if record["model"] == apps.get_model("accounts", "User")._meta.label_lower:
            for name in USER_FIELDS_LEFT_OUT:
                record["fields"].pop(name, None)
    return records


def customer_data_export(*, actor, customer: Customer) -> DataExport:
    """A zip of everything held about `customer`: data.json, the attachment files and a
    manifest with row counts and SHA-256 checksums. Audited as `customer.data_exported`.

    `actor=None` is an operator at the console (`kefu privacy export`)."""
    if actor is not None:
        require_perm(actor, "customers.export_personal_data")
    rows = _owned_rows(customer)
    if customer.user_id:
        rows[customer.user._meta.label] = [customer.user]
    data = {label: _serialise(items) for label, items in sorted(rows.items())}
    counts = {label: len(items) for label, items in data.items()}
    members: dict[str, bytes] = {
        "data.json": json.dumps(data, cls=_Encoder, ensure_ascii=False, indent=1).encode("utf-8")
    }
    for attachment in rows.get("tickets.Attachment", []):
        with attachment.file.open("rb") as handle:
            members[f"attachments/{attachment.pk}-{attachment.filename}"] = handle.read()
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "customer_id": customer.pk,
        "customer_number": customer.number,
        "generated_at": timezone.now().isoformat(),
        "counts": counts,
        "sha256": {name: hashlib.sha256(body).hexdigest() for name, body in members.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        for name, body in members.items():
            archive.writestr(name, body)
    audit_record(
        actor=actor,
        action="customer.data_exported",
        obj=customer,
        changes={"rows": [None, sum(counts.values())]},
    )
    name = f"customer-{customer.number or customer.pk}-{timezone.localdate().isoformat()}.zip"
    return DataExport(name, buffer.getvalue(), counts)
