"""Brute force on sign-in and API tokens, sessions after a password change, no secrets in logs."""

from __future__ import annotations

import logging

from django.test import Client

from kefu.accounts import throttle
from kefu.accounts.services import token_create

PASSWORD = "pw-Correct-Horse-1"


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_login_lock_is_per_username_and_address(make_user, client, settings):
    settings.KEFU_LOGIN_MAX_FAILURES = 3
    settings.LANGUAGE_CODE = "en"
    make_user("agent", username="lina")
    make_user("agent", username="wang")
    for _ in range(3):
        assert _login(client, "lina", "wrong").status_code == 200
    locked = _login(client, "lina", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed attempts. Wait 15 minutes" in locked.content.decode()
    # the same username from another address, and another username from this one, still work
    assert _login(Client(), "lina", PASSWORD, ip="10.0.0.2").status_code == 302
    assert _login(Client(), "wang", PASSWORD).status_code == 302
    # the lock ends with its window (the cache entry expires)
    throttle.clear(throttle.login_limit(), "lina", "10.0.0.1")
    assert _login(Client(), "lina", PASSWORD).status_code == 302


def test_login_lock_ignores_the_username_case(make_user, client, settings):
    settings.KEFU_LOGIN_MAX_FAILURES = 2
    make_user("agent", username="lina")
    _login(client, "lina", "wrong")
    _login(client, "LINA", "wrong")
    assert _login(client, "Lina", PASSWORD).status_code == 429


def test_guessing_api_tokens_is_throttled_per_address(make_user, settings):
    settings.KEFU_TOKEN_MAX_FAILURES = 4
    user = make_user("agent")
    good = token_create(actor=user, user=user, name="ci").raw
    guesser = Client(REMOTE_ADDR="10.9.9.9")
    for n in range(4):
        response = guesser.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer kefu_guess{n}")
        assert response.status_code == 401
    locked = guesser.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {good}")
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "throttled"
    honest = Client(REMOTE_ADDR="10.1.1.1")
    assert honest.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {good}").status_code == 200


def test_password_change_ends_other_sessions_for_pages_and_api(make_user):
    make_user("agent", username="lina")
    here, elsewhere = Client(), Client()
    _login(here, "lina", PASSWORD)
    _login(elsewhere, "lina", PASSWORD)
    assert elsewhere.get("/api/v1/accounts/me").status_code == 200
    here.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password": "An0ther-Long-Pass",
            "new_password_again": "An0ther-Long-Pass",
        },
    )
    assert here.get("/api/v1/accounts/me").status_code == 200  # this session was kept
    assert elsewhere.get("/api/v1/accounts/me").status_code == 401
    assert elsewhere.get("/").status_code == 302


def test_no_password_or_token_reaches_the_logs(make_user, caplog, settings):
    settings.KEFU_LOGIN_MAX_FAILURES = 2
    make_user("agent", username="lina")
    user = make_user("admin", username="root")
    caplog.set_level(logging.DEBUG)
    client = Client()
    for _ in range(3):
        _login(client, "lina", "s3cret-Guess-Value")
    raw = token_create(actor=user, user=user, name="ci").raw
    Client().get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    Client().get("/api/v1/accounts/me", HTTP_AUTHORIZATION="Bearer kefu_wrong-token-value")
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    for secret in ("s3cret-Guess-Value", raw, "kefu_wrong-token-value", PASSWORD):
        assert secret not in logged
