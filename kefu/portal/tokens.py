"""Signed, expiring tokens: status links in emails and the secrets of emailed sign-in links.

Both use Django's signing (HMAC-SHA256 with SECRET_KEY and a per-purpose salt), so a token
cannot be forged or altered, and both carry their signing time, so they expire.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

STATUS_SALT = "kefu.portal.status-link"
MAGIC_SALT = "kefu.portal.magic-link"


def status_link_lifetime() -> dt.timedelta:
    return dt.timedelta(days=getattr(settings, "KEFU_PORTAL_STATUS_LINK_DAYS", 30))


def magic_link_lifetime() -> dt.timedelta:
    return dt.timedelta(minutes=getattr(settings, "KEFU_PORTAL_MAGIC_LINK_MINUTES", 15))


class TokenInvalid(Exception):
    """The token was altered, made for something else, or is not a token at all."""


class TokenExpired(TokenInvalid):
    """The token is genuine but older than its lifetime."""


@dataclass(frozen=True)
class StatusClaim:
    ticket_uuid: str
    customer_id: int


def make_status_token(ticket) -> str:
    """A token naming `ticket` (and its customer, so a ticket moved elsewhere stops matching)."""
    return signing.dumps({"t": ticket.uuid.hex, "c": ticket.customer_id}, salt=STATUS_SALT)


def read_status_token(token: str) -> StatusClaim:
    """The ticket a status token names; TokenExpired/TokenInvalid when it may not be used."""
    try:
        data = signing.loads(
            token, salt=STATUS_SALT, max_age=status_link_lifetime().total_seconds()
        )
    except signing.SignatureExpired as exc:
        raise TokenExpired from exc
    except signing.BadSignature as exc:
        raise TokenInvalid from exc
    try:
        return StatusClaim(ticket_uuid=str(data["t"]), customer_id=int(data["c"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise TokenInvalid from exc


def sign_magic_secret(secret: str) -> str:
    return signing.TimestampSigner(salt=MAGIC_SALT).sign(secret)


def unsign_magic_secret(token: str) -> str:
    """The secret inside a sign-in token; TokenExpired/TokenInvalid when it may not be used."""
    try:
        return signing.TimestampSigner(salt=MAGIC_SALT).unsign(
            token, max_age=magic_link_lifetime().total_seconds()
        )
    except signing.SignatureExpired as exc:
        raise TokenExpired from exc
    except signing.BadSignature as exc:
        raise TokenInvalid from exc
