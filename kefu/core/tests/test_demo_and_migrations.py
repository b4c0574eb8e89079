from io import StringIO

from django.core.management import call_command

from kefu.accounts.models import Team, User
from kefu.core.demo import DEMO_PASSWORD


def counts():
    return {
        "users": User.objects.count(),
        "teams": Team.objects.count(),
        "members": Team.members.through.objects.count(),
    }


def test_demo_is_idempotent_and_has_one_login_per_role(db):
    out = StringIO()
    call_command("demo", stdout=out)
    first = counts()
    call_command("demo", stdout=StringIO())
    assert counts() == first
    roles = {
        u.primary_role
        for u in User.objects.filter(
            username__in=["admin", "manager", "supervisor", "qa", "agent", "customer"]
        )
    }
    assert roles == {"admin", "manager", "supervisor", "qa", "agent", "customer"}
    assert User.objects.get(username="agent").check_password(DEMO_PASSWORD)
    assert "supervisor" in out.getvalue() and DEMO_PASSWORD in out.getvalue()


def test_demo_scale_grows_it(db):
    """--scale N multiplies the company (shown on the staff; the full demo at scale 3 takes
    minutes and each app's own demo test covers its data)."""
    import random

    from kefu.accounts import demo as accounts_demo

    accounts_demo.load(scale=1, rng=random.Random(1), stdout=StringIO())
    small = User.objects.count()
    accounts_demo.load(scale=3, rng=random.Random(1), stdout=StringIO())
    assert User.objects.count() == small + 24  # 12 more agents per extra scale step


def test_no_missing_migrations(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
