"""Exporting the filtered customer list as CSV or Excel, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.spreadsheet import safe_cell
from kefu.customers.contacts import mask_contact

# One rule for every export: kefu.core.spreadsheet (kept under this name for its callers).
neutralize_formula = safe_cell


def export_header() -> list[str]:
    return [
        _("Customer number"),
        _("Name"),
        _("Kind"),
        _("Organisation"),
        _("Tier"),
        _("VIP"),
        _("Credit grade"),
        _("Region"),
        _("Language"),
        _("Tags"),
        _("Mobile"),
        _("Phone"),
        _("Email"),
        _("WeChat"),
        _("Created"),
    ]


def _first(contacts: dict[str, list[str]], kind: str, show_pii: bool) -> str:
    values = contacts.get(kind) or [""]
    value = values[0]
    return value if show_pii or not value else mask_contact(kind, value)


def export_rows(customers: Iterable, *, show_pii: bool) -> Iterator[list[Any]]:
    """One row per customer (primary contact of each kind); contacts masked without view_pii."""
    for customer in customers:
        contacts: dict[str, list[str]] = {}
        for contact in customer.contacts.all():
            contacts.setdefault(contact.kind, []).append(contact.value)
        row = [
            customer.number,
            customer.name,
            customer.get_kind_display(),
            customer.organization.name if customer.organization_id else "",
            customer.tier,
            _("Yes") if customer.is_vip else "",
            customer.credit_grade,
            customer.region,
            customer.language,
            ", ".join(t.name for t in customer.tags.all()),
            _first(contacts, "mobile", show_pii),
            _first(contacts, "phone", show_pii),
            _first(contacts, "email", show_pii),
            _first(contacts, "wechat", show_pii),
            timezone.localtime(customer.created_at).strftime("%Y-%m-%d %H:%M"),
        ]
        yield [neutralize_formula(v) for v in row]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_stream(rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM: Excel then reads the file as UTF-8 (Chinese names stay readable)
    yield writer.writerow(export_header())
    for row in rows:
        yield writer.writerow(row)


def customers_response(customers, *, file_format: str, show_pii: bool) -> HttpResponse:
    """A download of `customers` (selectors.customer_list: contacts prefetched) as CSV/.xlsx."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    customers = customers.iterator(chunk_size=2000)
    rows = export_rows(customers, show_pii=show_pii)
    if file_format == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Customers"))
        sheet.append(export_header())
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.xlsx"'
        return response
    response = StreamingHttpResponse(_csv_stream(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.csv"'
    return response
