import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Assertions compare English messages; the default language is Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media_in_tmp(request, tmp_path):
    """Uploaded attachments go to a temporary folder, not var/media."""
    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        settings = request.getfixturevalue("settings")
        settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def editor(make_user):
    """A supervisor: may write, publish and manage synonyms."""
    return make_user("supervisor")


@pytest.fixture
def customer_user(make_user):
    """A portal customer linked to a customer record."""
    from kefu.tickets.tests.factories import make_customer

    user = make_user("customer")
    make_customer(user=user)
    return user
