"""`kefu customers_search rebuild`: recompute the customers' search tokens, rebuild the index."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from kefu.customers import search_index


class Command(BaseCommand):
    help = "Customer search index: rebuild the tokens and the database index from search_text."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rebuild", help="Recompute every customer's tokens and rebuild the index.")

    def handle(self, *args, action, **options):
        def progress(done: int, total: int) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"  {done:,} / {total:,}")

        changed = search_index.rebuild(progress=progress)
        self.stdout.write(f"search index rebuilt; {changed:,} customers had stale tokens")
