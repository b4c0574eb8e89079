"""The API's contract: authentication, the error body for each status, paging, health."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kefu.accounts.models import ApiToken, Team
from kefu.accounts.services import token_create, token_revoke


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]


def test_health_needs_no_auth_and_reports_database_and_tasks(db):
    response = Client().get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["tasks"] == {"backend": "eager", "ok": True}


def test_health_reports_unreachable_queue_as_503(db, settings):
    settings.KEFU_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = Client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["tasks"]["ok"] is False


def test_401_without_credentials(db):
    assert_error(Client().get("/api/v1/accounts/me"), 401, "unauthenticated")


def test_token_lifecycle(make_user):
    user = make_user("agent")
    issued = token_create(actor=user, user=user, name="cti")
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert issued.raw.startswith("kefu_")
    assert issued.raw not in stored.token_hash and len(stored.token_hash) == 64  # only the hash
    client = Client(headers={"Authorization": f"Bearer {issued.raw}"})
    assert client.get("/api/v1/accounts/me").json()["username"] == user.username
    stored.refresh_from_db()
    assert stored.last_used_at is not None

    token_revoke(actor=user, token=stored)
    assert_error(client.get("/api/v1/accounts/me"), 401, "unauthenticated")


def test_expired_and_malformed_tokens_are_401(make_user):
    user = make_user("agent")
    issued = token_create(actor=user, user=user, name="short")
    ApiToken.objects.filter(pk=issued.token.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    for raw in (issued.raw, "kefu_nothing", "garbage"):
        client = Client(headers={"Authorization": f"Bearer {raw}"})
        assert_error(client.get("/api/v1/accounts/me"), 401, "unauthenticated")


def test_token_create_via_api_shows_the_token_once(api_client):
    client, _user = api_client("agent")
    response = client.post(
        "/api/v1/accounts/tokens", {"name": "script"}, content_type="application/json"
    )
    assert response.status_code == 201
    raw = response.json()["token"]
    assert (
        Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/accounts/me").status_code
        == 200
    )
    listed = client.get("/api/v1/accounts/tokens").json()
    assert all("token" not in item for item in listed)
    assert {item["name"] for item in listed} == {"test", "script"}


def test_cannot_revoke_someone_elses_token(api_client, make_user):
    client, _ = api_client("agent")
    other = make_user("agent")
    theirs = token_create(actor=other, user=other, name="theirs").token
    assert_error(client.delete(f"/api/v1/accounts/tokens/{theirs.pk}"), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("agent", 403),
        ("qa", 200),
        ("supervisor", 200),
        ("manager", 200),
        ("admin", 200),
        ("customer", 403),
    ],
)
def test_user_list_permissions_by_role(api_client, role, status):
    client, _ = api_client(role)
    response = client.get("/api/v1/accounts/users")
    assert response.status_code == status
    if status == 403:
        assert_error(response, 403, "forbidden")
    else:
        assert response.json()["count"] >= 1


def test_customers_cannot_list_teams(api_client):
    client, _ = api_client("customer")
    assert_error(client.get("/api/v1/teams"), 403, "forbidden")


def test_lists_are_paged_with_total(api_client):
    client, _ = api_client("admin")
    for i in range(7):
        Team.objects.create(name=f"Team {i}")
    page = client.get("/api/v1/teams?limit=3&offset=3").json()
    assert page["count"] == 7 and page["limit"] == 3 and page["offset"] == 3
    assert [t["name"] for t in page["items"]] == ["Team 3", "Team 4", "Team 5"]
    assert_error(client.get("/api/v1/teams?limit=0"), 422, "validation_error")


def test_422_names_the_field(api_client):
    client, _ = api_client("admin")
    error = assert_error(
        client.post("/api/v1/teams", {"name": ""}, content_type="application/json"),
        422,
        "validation_error",
    )
    assert "name" in error["fields"]


def test_400_for_malformed_json(api_client):
    client, _ = api_client("admin")
    assert_error(
        client.post("/api/v1/teams", "{not json", content_type="application/json"),
        400,
        "bad_request",
    )


def test_404_for_unknown_object(api_client):
    client, _ = api_client("admin")
    assert_error(client.get("/api/v1/teams/999999"), 404, "not_found")


def test_403_for_role_without_permission_on_write(api_client):
    client, _ = api_client("agent")
    assert_error(
        client.post("/api/v1/teams", {"name": "X"}, content_type="application/json"),
        403,
        "forbidden",
    )
    assert not Team.objects.filter(name="X").exists()


def test_409_on_stale_version_loses_nothing(api_client):
    """Two admins edit the same team: the second, working from an old version, gets 409."""
    alice, _ = api_client("admin")
    bob, _ = api_client("admin")
    team = Team.objects.create(name="After-sales")
    first = alice.patch(
        f"/api/v1/teams/{team.pk}",
        {"version": 1, "description": "Alice's"},
        content_type="application/json",
    )
    assert first.status_code == 200 and first.json()["version"] == 2
    second = bob.patch(
        f"/api/v1/teams/{team.pk}",
        {"version": 1, "description": "Bob's"},
        content_type="application/json",
    )
    error = assert_error(second, 409, "stale_version")
    assert error["details"] == {"expected_version": 1, "current_version": 2}
    team.refresh_from_db()
    assert (team.description, team.version) == ("Alice's", 2)


def test_team_update_is_audited(api_client):
    from kefu.core.models import AuditEvent

    client, admin = api_client("admin")
    team = Team.objects.create(name="Old")
    client.patch(
        f"/api/v1/teams/{team.pk}", {"version": 1, "name": "New"}, content_type="application/json"
    )
    event = AuditEvent.objects.get(action="team.updated", object_id=str(team.pk))
    assert event.actor_id == admin.pk
    assert event.changes == {"name": ["Old", "New"]}


def test_session_auth_requires_csrf_for_writes(make_user):
    admin = make_user("admin")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.get("/api/v1/accounts/me").status_code == 200
    response = client.post("/api/v1/teams", {"name": "Y"}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not Team.objects.filter(name="Y").exists()


def test_openapi_schema_and_docs_are_served(db, make_user, client):
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/health" in paths and "/api/v1/teams/{team_id}" in paths
    client.force_login(make_user("admin"))
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "swagger-ui" in page and "cdn." not in page and "/static/" in page  # no CDN
