"""API authentication: bearer tokens (for integrations) and the browser session (with CSRF)."""

from __future__ import annotations

from ninja.security import HttpBearer, SessionAuth

from kefu.accounts.services import token_authenticate


class TokenAuth(HttpBearer):
    openapi_description = (
        "An API token: `Authorization: Bearer kefu_…` (create one with `kefu token create`)."
    )

    def authenticate(self, request, token: str):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class StaffSessionAuth(SessionAuth):
    """Session auth for the browser (CSRF-checked on writes)."""


AUTH = [TokenAuth(), StaffSessionAuth()]
