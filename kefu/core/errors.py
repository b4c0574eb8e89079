"""Domain errors raised by services; the API and views turn them into clear answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class KefuError(Exception):
    """Base class: carries a machine-readable code, a message and per-field messages."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        fields: Mapping[str, str | list[str]] | None = None,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        self.fields = {k: v if isinstance(v, list) else [v] for k, v in (fields or {}).items()}
        if code:
            self.code = code
        self.details = dict(details or {})


class ValidationFailed(KefuError):
    """Input is well-formed but not acceptable (HTTP 422)."""

    status = 422
    code = "validation_error"


class Conflict(KefuError):
    """The object changed since the caller read it, or the action clashes with its state (409)."""

    status = 409
    code = "conflict"


class NotAllowed(KefuError):
    """The actor may not do this (403)."""

    status = 403
    code = "forbidden"


class NotFound(KefuError):
    status = 404
    code = "not_found"
