"""Personal-data rights at the console.

kefu privacy export CUSTOMER [--out FILE]        everything held about one customer, as a zip
kefu privacy erase CUSTOMER --reason TEXT [--yes]  anonymise the customer (irreversible)
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kefu.core.errors import KefuError
from kefu.customers.erasure import confirmation_text, customer_erase
from kefu.customers.models import Customer
from kefu.customers.privacy import customer_data_export


class Command(BaseCommand):
    help = "Personal-data rights: export or erase everything Kefu holds about a customer."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write a zip of the customer's data.")
        export.add_argument("customer", help="Customer number (e.g. C-000123) or database id.")
        export.add_argument("--out", type=Path, help="File to write (default: ./<name>.zip).")
        erase = sub.add_parser("erase", help="Anonymise the customer (right to erasure).")
        erase.add_argument("customer", help="Customer number (e.g. C-000123) or database id.")
        erase.add_argument("--reason", required=True, help="The request's reference (audited).")
        erase.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, action, customer, **options):
        found = Customer.objects.filter(number=customer).first()
        if found is None and customer.isdigit():
            found = Customer.objects.filter(pk=int(customer)).first()
        if found is None:
            raise CommandError(f"No customer with number or id {customer!r}.")
        if action == "export":
            self._export(found, options.get("out"))
        else:
            self._erase(found, options["reason"], options["yes"])

    def _export(self, customer: Customer, out: Path | None) -> None:
        export = customer_data_export(actor=None, customer=customer)
        path = out or Path(export.filename)
        path.write_bytes(export.content)
        rows = sum(export.counts.values())
        self.stdout.write(f"{path}: {rows} rows from {len(export.counts)} tables")

    def _erase(self, customer: Customer, reason: str, yes: bool) -> None:
        expected = confirmation_text(customer)
        typed = expected if yes else input(f"Type {expected} to erase {customer.name}: ")
        try:
            report = customer_erase(actor=None, customer=customer, reason=reason, confirm=typed)
        except KefuError as exc:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip()) from exc
        rows = sum(report.counts.values())
        self.stdout.write(f"erased customer {expected}: {rows} records changed")
        for label, count in sorted(report.counts.items()):
            self.stdout.write(f"  {label}: {count}")
