"""Portal test setup: English messages, uploads in a temporary folder, two customers with
portal logins (and a colleague in an organisation), an agent who answers them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from kefu.portal.tests.factories import make_portal_customer


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions compare English text: in-process, and for requests without Accept-Language."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media_in_tmp(request, tmp_path):
    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        settings = request.getfixturevalue("settings")
        settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def agent(make_user):
    return make_user("agent", username="agent-lina", display_name="李娜 Li Na")


@pytest.fixture
def alice(make_user):
    """(user, customer) — the customer who signs in in most tests."""
    return make_portal_customer(make_user, name="Alice Wang", email="alice@example.com")


@pytest.fixture
def bob(make_user):
    """(user, customer) — another customer, whose requests Alice must never see."""
    return make_portal_customer(make_user, name="Bob Li", email="bob@example.com")


@pytest.fixture
def alice_client(alice):
    client = Client()
    client.force_login(alice[0])
    return client
