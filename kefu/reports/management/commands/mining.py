"""`kefu mining train-churn [--as-of YYYY-MM-DD] [--horizon-days 90] [--seed 0]`: train the
churn model, score every customer with purchases, cluster them and print the evaluation."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from kefu.core.errors import KefuError


class Command(BaseCommand):
    help = "Data mining: `train-churn` trains and evaluates the churn model and scores customers."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["train-churn"])
        parser.add_argument("--as-of", help="Observation date (default: today).")
        parser.add_argument("--horizon-days", type=int, default=90)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, action, as_of, horizon_days, seed, **options):
        from kefu.reports.services import churn_model_train

        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise CommandError(f"--as-of wants YYYY-MM-DD, not {as_of!r}") from exc
        try:
            run = churn_model_train(actor=None, as_of=day, horizon_days=horizon_days, seed=seed)
        except KefuError as exc:
            raise CommandError(exc.message) from exc
        m = run.metrics
        self.stdout.write(
            f"Churn model #{run.pk} as of {run.as_of}: ROC AUC {m['auc']:.3f} "
            f"(logistic baseline {m['auc_baseline']:.3f}), "
            f"precision@10% {m['precision_at_k']:.3f}, "
            f"Brier {m['brier']:.3f}; train {m['n_train']:,} / test {m['n_test']:,} customers; "
            f"clusters k={run.clusters.get('k')}; timings {run.timings}"
        )
