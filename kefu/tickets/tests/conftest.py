from decimal import Decimal

import pytest
from django.utils import translation

from kefu.tickets.tests.factories import make_team


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


@pytest.fixture
def people(make_user):
    """Two teams: Li Na (agent) in team A with supervisor Chen; Wang (agent) in team B."""
    agent = make_user("agent", username="lina", display_name="李娜")
    other = make_user("agent", username="wang", display_name="王强")
    supervisor = make_user(
        "supervisor", username="chen", display_name="陈静", authority_limit=Decimal("5000")
    )
    team_a = make_team("A", members=[agent], lead=supervisor)
    team_b = make_team("B", members=[other])
    return {
        "agent": agent,
        "other": other,
        "supervisor": supervisor,
        "team_a": team_a,
        "team_b": team_b,
    }
