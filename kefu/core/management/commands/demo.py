from django.core.management.base import BaseCommand

from kefu.core.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo company (idempotent). --scale N multiplies its size for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1)
        parser.add_argument("--quiet-logins", action="store_true")

    def handle(self, *args, scale: int, quiet_logins: bool, **options):
        if scale < 1:
            self.stderr.write("--scale must be 1 or more")
            raise SystemExit(2)
        self.stdout.write(f"Loading the demo company (scale {scale})…")
        load_demo(scale=scale, stdout=self.stdout)
        if not quiet_logins:
            from kefu.core.management.commands.serve import print_demo_logins

            print_demo_logins(self.stdout)
