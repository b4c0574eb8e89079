"""Rebuild the results tallies of surveys from their raw answers."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from kefu.surveys import aggregates
from kefu.surveys.models import Survey


class Command(BaseCommand):
    help = "Rebuild the results tallies (aggregates kept at write time) from the raw answers."

    def add_arguments(self, parser):
        parser.add_argument("survey_ids", nargs="*", type=int, help="surveys (default: all)")

    def handle(self, *args, survey_ids, **options):
        surveys = Survey.objects.order_by("pk")
        if survey_ids:
            surveys = surveys.filter(pk__in=survey_ids)
            missing = set(survey_ids) - set(surveys.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No survey {', '.join(map(str, sorted(missing)))}")
        for survey in surveys:
            started = time.perf_counter()
            rows = aggregates.rebuild(survey)
            self.stdout.write(
                f"survey {survey.pk}: {rows} tally rows in {time.perf_counter() - started:.1f} s"
            )
