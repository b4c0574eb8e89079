"""`kefu mail ingest FILE.eml…` (or `-` for stdin, as an MTA pipe), `kefu mail poll`,
`kefu mail retry`: the email channel from the command line.

A quarantined message is stored (exit status 0), so an MTA must not deliver it again.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kefu.channels import services
from kefu.channels.models import Mailbox


class Command(BaseCommand):
    help = "Ingest raw emails, poll the IMAP mailboxes, or send what is due for a retry."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ingest = sub.add_parser("ingest", help="Ingest .eml files (use - to read stdin).")
        ingest.add_argument("files", nargs="+")
        ingest.add_argument("--mailbox", help="Mailbox name (sets team and category).")
        sub.add_parser("poll", help="Poll every active IMAP mailbox once.")
        sub.add_parser("retry", help="Send outbound email and webhooks whose retry is due.")

    def handle(self, *args, action: str, **options):
        if action == "poll":
            for result in services.mailboxes_poll():
                self.stdout.write(
                    f"fetched={result.fetched} created={result.created} error={result.error}"
                )
            return
        if action == "retry":
            self.stdout.write(str(services.retry_due()))
            return
        mailbox = None
        if options.get("mailbox"):
            mailbox = Mailbox.objects.filter(name=options["mailbox"]).first()
            if mailbox is None:
                raise CommandError(f"no mailbox named {options['mailbox']!r}")
        for name in options["files"]:
            try:
                raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            except OSError as exc:
                raise CommandError(f"{name}: {exc}") from exc
            result = services.email_ingest(raw, mailbox=mailbox)
            row = result.inbound
            self.stdout.write(
                f"{name}: {row.status}{'' if result.created else ' (duplicate)'}"
                f" ticket={row.ticket.public_id if row.ticket_id else '-'}"
                f"{' error=' + row.error if row.error else ''}"
            )
