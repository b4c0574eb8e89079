"""`kefu privacy export CUSTOMER [--out FILE]`: everything held about one customer, as a zip."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kefu.customers.models import Customer
from kefu.customers.privacy import customer_data_export


class Command(BaseCommand):
    help = "Personal-data rights: export everything Kefu holds about a customer."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write a zip of the customer's data.")
        export.add_argument("customer", help="Customer number (e.g. C-000123) or database id.")
        export.add_argument("--out", type=Path, help="File to write (default: ./<name>.zip).")

    def handle(self, *args, action, customer, out=None, **options):
        found = Customer.objects.filter(number=customer).first()
        if found is None and customer.isdigit():
            found = Customer.objects.filter(pk=int(customer)).first()
        if found is None:
            raise CommandError(f"No customer with number or id {customer!r}.")
        export = customer_data_export(actor=None, customer=found)
        path = out or Path(export.filename)
        path.write_bytes(export.content)
        rows = sum(export.counts.values())
        self.stdout.write(f"{path}: {rows} rows from {len(export.counts)} tables")
