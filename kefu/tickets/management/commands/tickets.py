"""`kefu tickets train-classifier [--target category|priority|all]`: train the category and
urgency suggestion (M23) on the solved and closed tickets, and print the held-out scores."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kefu.core.errors import KefuError


class Command(BaseCommand):
    help = "Ticket housekeeping. train-classifier: train the category/priority suggestion."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        train = actions.add_parser(
            "train-classifier",
            help="Train the category and/or priority suggestion on solved and closed tickets.",
        )
        train.add_argument("--target", choices=["category", "priority", "all"], default="all")
        train.add_argument(
            "--min-examples",
            type=int,
            default=None,
            help="Fewest labelled tickets to train on (default 20).",
        )

    def handle(self, *args, action, **options):
        if action == "train-classifier":
            return self._train(options["target"], options["min_examples"])
        raise CommandError(f"unknown action {action!r}")

    def _train(self, target: str, min_examples: int | None) -> None:
        from kefu.tickets.services.classification import MIN_TRAINING_EXAMPLES, classifier_train

        targets = ["category", "priority"] if target == "all" else [target]
        failures = []
        for name in targets:
            try:
                row = classifier_train(
                    actor=None, target=name, min_examples=min_examples or MIN_TRAINING_EXAMPLES
                )
            except KefuError as exc:
                failures.append(f"{name}: {exc.message}")
                self.stderr.write(f"{name}: not trained. {exc.message}")
                continue
            scores = (
                f"held-out accuracy {row.accuracy:.3f}, macro-F1 {row.macro_f1:.3f} "
                f"on {row.test_size} tickets"
                if row.accuracy is not None
                else "no held-out score (too few examples per label for a split)"
            )
            self.stdout.write(
                f"{name}: trained #{row.pk} on {row.example_count:,} tickets, "
                f"{len(row.labels)} labels; {scores}."
            )
        if failures and len(failures) == len(targets):
            raise CommandError("; ".join(failures))
