import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Assertions compare English messages; the default language is Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture
def manager(make_user):
    return make_user("manager", username="mgr", email="mgr@example.com")
