"""Formula injection: text that a spreadsheet would evaluate is neutralised in every export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from kefu.core.spreadsheet import safe_cell, safe_row

PAYLOADS = [
    "=cmd|' /C calc'!A0",
    '+HYPERLINK("http://evil.example")',
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_text_gets_an_apostrophe(payload):
    assert safe_cell(payload) == "'" + payload


def test_other_values_pass_unchanged():
    values = ["张伟", "a=b", "", None, -5, Decimal("-1.50"), 3.5, " =x"]
    assert safe_row(values) == values


def test_openpyxl_stores_the_neutralised_text_not_a_formula():
    from openpyxl import Workbook, load_workbook

    book = Workbook()
    book.active.append(safe_row([*PAYLOADS[:1], -5]))
    buffer = io.BytesIO()
    book.save(buffer)
    row = next(load_workbook(io.BytesIO(buffer.getvalue())).active.iter_rows(values_only=True))
    assert row == ("'" + PAYLOADS[0], -5)


def test_the_3w_csv_export_neutralises_user_text(make_user, settings, tmp_path):
    from django.test import Client

    from kefu.tickets.tests.factories import make_ticket

    settings.MEDIA_ROOT = tmp_path
    admin = make_user("admin", display_name='=HYPERLINK("http://evil.example")')
    ticket = make_ticket(admin, subject="=cmd|' /C calc'!A0")
    client = Client()
    client.force_login(admin)
    response = client.get(f"/tickets/{ticket.pk}/3w/?format=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert any("HYPERLINK" in cell for cell in cells)  # the user text is there…
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]  # …inert
