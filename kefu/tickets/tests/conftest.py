import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Assertions compare English messages; the default language is Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media_in_tmp(request, tmp_path):
    """Attachments go to a temporary folder, not var/media."""
    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        settings = request.getfixturevalue("settings")
        settings.MEDIA_ROOT = tmp_path / "media"
