"""API authentication: bearer tokens (for integrations) and the browser session (with CSRF)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from kefu.accounts import throttle
from kefu.accounts.services import token_authenticate


class TokenAuth(HttpBearer):
    openapi_description = (
        "An API token: `Authorization: Bearer kefu_…` (create one with `kefu token create`)."
    )

    def authenticate(self, request, token: str):
        # Guessing tokens: after too many wrong ones from one address, refuse (429) without
        # looking tokens up at all until the window ends.
        limit = throttle.token_limit()
        ip = throttle.client_ip(request)
        if throttle.is_locked(limit, ip):
            raise HttpError(
                429, _("Too many invalid API tokens from your address. Wait and retry.")
            )
        user = token_authenticate(token)
        if user is None:
            throttle.record_failure(limit, ip)
            return None
        request.user = user
        return user


class StaffSessionAuth(SessionAuth):
    """Session auth for the browser (CSRF-checked on writes)."""


AUTH = [TokenAuth(), StaffSessionAuth()]
