from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run Celery beat: schedules Kefu's periodic tasks (needs KEFU_REDIS_URL)."

    def handle(self, *args, **options):
        if not settings.KEFU_REDIS_URL:
            raise CommandError(
                "Set KEFU_REDIS_URL to run beat; embedded `kefu serve` schedules itself."
            )
        from kefu.celery import app

        app.start(["beat", "--loglevel=INFO"])
