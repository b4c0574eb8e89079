from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run a Celery worker for Kefu's background tasks (needs KEFU_REDIS_URL)."

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args, concurrency: int, **options):
        if not settings.KEFU_REDIS_URL:
            raise CommandError(
                "Set KEFU_REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run a worker."
            )
        from kefu.celery import app

        app.worker_main(["worker", "--loglevel=INFO", f"--concurrency={concurrency}"])
