"""Sign-in, throttling, pages behind login, password change and the language switch."""

import pytest
from django.test import Client

from kefu.accounts.models import LoginFailure


def login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_every_page_requires_login(db):
    for path in ["/", "/settings/", "/settings/audit/", "/accounts/profile/"]:
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_login_then_home_shows_the_shell(make_user, client):
    make_user("agent", username="lina", display_name="李娜")
    response = login(client, "lina", "pw-Correct-Horse-1")
    assert response.status_code == 302
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "李娜" in page and "Inbox" in page and "Sign out" in page


def test_wrong_password_gives_a_generic_message(make_user, client):
    make_user("agent", username="lina")
    for username in ("lina", "nobody"):
        page = login(client, username, "wrong").content.decode()
        assert "The username or password is not correct." in page or "用户名或密码不正确" in page


def test_login_is_throttled_after_five_failures(make_user, client, settings):
    settings.KEFU_LOGIN_MAX_FAILURES = 5
    make_user("agent", username="lina")
    for _ in range(5):
        assert login(client, "lina", "wrong").status_code == 200
    throttled = login(
        client, "lina", "pw-Correct-Horse-1"
    )  # even the right password is refused now
    assert throttled.status_code == 429
    assert "_auth_user_id" not in client.session
    assert LoginFailure.objects.filter(username="lina").count() == 5


def test_successful_login_clears_failures(make_user, client):
    make_user("agent", username="lina")
    login(client, "lina", "wrong")
    login(client, "lina", "pw-Correct-Horse-1")
    assert not LoginFailure.objects.filter(username="lina").exists()


def test_open_redirect_is_refused(make_user, client):
    make_user("agent", username="lina")
    response = client.post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "lina", "password": "pw-Correct-Horse-1", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_login_form_has_csrf_protection(make_user):
    make_user("agent", username="lina")
    client = Client(enforce_csrf_checks=True)
    assert login(client, "lina", "pw-Correct-Horse-1").status_code == 403


def test_password_change_signs_out_other_sessions(make_user):
    user = make_user("agent", username="lina")
    here, elsewhere = Client(), Client()
    login(here, "lina", "pw-Correct-Horse-1")
    login(elsewhere, "lina", "pw-Correct-Horse-1")
    response = here.post(
        "/accounts/password/",
        {
            "old_password": "pw-Correct-Horse-1",
            "new_password": "An0ther-Long-Pass",
            "new_password_again": "An0ther-Long-Pass",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("An0ther-Long-Pass")
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302  # its session hash no longer matches


def test_weak_new_password_is_refused_with_reason(make_user, client):
    make_user("agent", username="lina")
    login(client, "lina", "pw-Correct-Horse-1")
    page = client.post(
        "/accounts/password/",
        {
            "old_password": "pw-Correct-Horse-1",
            "new_password": "12345678",
            "new_password_again": "12345678",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "too common" in page or "entirely numeric" in page


@pytest.mark.parametrize(
    ("language", "expected", "absent"), [("zh-hans", "工作台", "Inbox"), ("en", "Inbox", "工作台")]
)
def test_language_switch_renders_the_shell(make_user, client, language, expected, absent):
    make_user("agent", username="lina")
    login(client, "lina", "pw-Correct-Horse-1")
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    page = client.get("/").content.decode()
    assert expected in page and absent not in page


def test_chinese_login_page(db):
    page = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "登录" in page and "用户名" in page and 'lang="zh-CN"' in page


def test_customers_cannot_enter_staff_pages(make_user, client):
    make_user("customer", username="zhang")
    login(client, "zhang", "pw-Correct-Horse-1")
    home = client.get("/")
    assert home.status_code == 302 and home["Location"] == "/portal/"  # their home is the portal
    assert client.get("/settings/").status_code == 403
    assert client.get("/customers/").status_code == 403
    assert client.get("/search/", {"q": "x"}).status_code == 403


@pytest.mark.parametrize(("role", "status"), [("agent", 403), ("supervisor", 200), ("admin", 200)])
def test_audit_log_page_by_role(make_user, client, role, status):
    make_user(role, username="u")
    login(client, "u", "pw-Correct-Horse-1")
    assert client.get("/settings/audit/").status_code == status


def test_profile_creates_and_revokes_tokens(make_user, client):
    user = make_user("agent", username="lina")
    login(client, "lina", "pw-Correct-Horse-1")
    client.post("/accounts/tokens/", {"name": "my script"})
    page = client.get("/accounts/profile/").content.decode()
    token = user.api_tokens.get()
    assert f"kefu_{token.prefix}_" in page  # shown once…
    assert (
        f"kefu_{token.prefix}_" not in client.get("/accounts/profile/").content.decode()
    )  # …only once
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_login_applies_the_users_language(make_user, client):
    make_user("agent", username="emma", language="en")
    response = login(client, "emma", "pw-Correct-Horse-1")
    assert response.cookies["django_language"].value == "en"
    assert "Inbox" in client.get("/").content.decode()
