"""Shared test setup: fast password hashing, eager tasks, and factories for users and clients."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client

from kefu.accounts.roles import Role, sync_role_groups

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_and_eager(request):
    try:
        settings = request.getfixturevalue("settings")
    except pytest.FixtureLookupError:  # pure-core tests run with -p no:django
        return
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.KEFU_TASKS_EAGER = True
    settings.KEFU_REDIS_URL = ""
    from django.core.cache import cache

    cache.clear()  # sign-in and token throttles count in the cache: no leaks between tests


@pytest.fixture
def make_user(db):
    """make_user(role="agent", **fields) → a saved user with that role group."""
    from kefu.accounts.models import User

    sync_role_groups()

    def factory(
        role: Role | str | None = Role.AGENT, password: str = "pw-Correct-Horse-1", **fields
    ):
        from django.contrib.auth.models import Group

        n = next(_counter)
        fields.setdefault("username", f"user{n}")
        user = User(**fields)
        user.set_password(password)
        user.save()
        if role:
            user.groups.add(Group.objects.get(name=str(role)))
        return user

    return factory


@pytest.fixture
def api_client(make_user):
    """api_client(role) → (Client sending a bearer token, user)."""
    from kefu.accounts.services import token_create

    def factory(role: Role | str = Role.AGENT, **fields):
        user = make_user(role, **fields)
        issued = token_create(actor=user, user=user, name="test")
        client = Client(headers={"Authorization": f"Bearer {issued.raw}"})
        return client, user

    return factory


def _redis_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


def pytest_collection_modifyitems(config, items):
    """Redis-backed tests always run in CI; on a laptop without Redis they are skipped, loudly."""
    import os

    if os.environ.get("CI") or _redis_reachable():
        return
    marker = pytest.mark.skip(
        reason="no Redis on 127.0.0.1:6379 — Celery path NOT tested here (CI runs it)"
    )
    for item in items:
        if "redis" in item.keywords:
            item.add_marker(marker)
