"""`kefu token create USERNAME [--name N]`, `kefu token list USERNAME`, `kefu token revoke ID`."""

from django.core.management.base import BaseCommand, CommandError

from kefu.accounts import services
from kefu.accounts.models import ApiToken, User
from kefu.core.errors import KefuError


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("username")
        create.add_argument("--name", default="cli")
        listing = sub.add_parser("list")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args, action: str, **options):
        if action == "revoke":
            token = ApiToken.objects.select_related("user").filter(pk=options["token_id"]).first()
            if token is None:
                raise CommandError(f"No token with id {options['token_id']}.")
            services.token_revoke(actor=token.user, token=token)
            self.stdout.write(f"Revoked token {token.pk} ({token.name}).")
            return
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        if action == "list":
            for token in ApiToken.objects.filter(user=user):
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(f"{token.pk}\t{token.name}\tkefu_{token.prefix}…\t{state}")
            return
        try:
            issued = services.token_create(actor=user, user=user, name=options["name"])
        except KefuError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(issued.raw)
