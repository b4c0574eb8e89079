"""`kefu serve`: the embedded server — web and in-process background tasks in one process."""

import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand


def print_demo_logins(stdout) -> None:
    from kefu.accounts.demo import DEMO_LOGINS
    from kefu.accounts.models import User
    from kefu.core.demo import DEMO_PASSWORD

    present = set(
        User.objects.filter(username__in=[d[0] for d in DEMO_LOGINS]).values_list(
            "username", flat=True
        )
    )
    if not present:
        return
    stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
    for username, name, role, _lang, _limit in DEMO_LOGINS:
        if username in present:
            stdout.write(f"  {role.value:<11} {username:<11} {name}")
    stdout.write("")


class Command(BaseCommand):
    help = "Serve Kefu on 127.0.0.1:8000 with in-process background tasks (embedded mode)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        from kefu.core.tasks import load_all_task_modules, start_in_process_scheduler, uses_celery

        load_all_task_modules()
        if not uses_celery():
            start_in_process_scheduler(threading.Event())
        print_demo_logins(self.stdout)
        self.stdout.write(f"Kefu is at http://{addrport}/  (Ctrl+C stops it)")
        # --insecure serves static files with DEBUG off; production uses gunicorn + a proxy.
        call_command(
            "runserver", addrport, use_reloader=False, insecure_serving=True, use_threading=True
        )
