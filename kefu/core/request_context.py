"""The current request's id, actor and IP, kept in a context variable for the audit trail."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip_address: str | None = None


_EMPTY = RequestContext()
_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "kefu_request_context", default=None
)


def current_request_context() -> RequestContext:
    """Return the context of the request being served (empty outside a request)."""
    return _current.get() or _EMPTY


def set_request_context(context: RequestContext) -> contextvars.Token:
    return _current.set(context)


def reset_request_context(token: contextvars.Token) -> None:
    _current.reset(token)
