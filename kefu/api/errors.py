"""One error body for every failure: {"error": {"code", "message", "fields": {...}}}."""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from kefu.core.errors import KefuError

log = logging.getLogger(__name__)


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class ErrorBody(Schema):
    error: ErrorDetail


def error_response(
    api: NinjaAPI, request, status: int, code: str, message: str, fields=None, **extra
):
    body = {"error": {"code": code, "message": str(message), "fields": fields or {}, **extra}}
    return api.create_response(request, body, status=status)


def _field_name(loc: tuple) -> str:
    # ninja locations look like ("body", "payload", "email") or ("query", "limit")
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "payload", "form")]
    return ".".join(parts) or "__all__"


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def on_validation(request, exc: ValidationError):
        fields: dict[str, list[str]] = {}
        malformed = False
        for err in exc.errors:
            if err.get("type") == "json_invalid":
                malformed = True
            fields.setdefault(_field_name(tuple(err.get("loc", ()))), []).append(err.get("msg", ""))
        if malformed:
            return error_response(
                api, request, 400, "bad_request", _("The request body is not valid JSON."), fields
            )
        return error_response(
            api, request, 422, "validation_error", _("Some fields are not valid."), fields
        )

    @api.exception_handler(KefuError)
    def on_domain_error(request, exc: KefuError):
        extra = {"details": exc.details} if exc.details else {}
        return error_response(api, request, exc.status, exc.code, exc.message, exc.fields, **extra)

    @api.exception_handler(DjangoValidationError)
    def on_model_validation(request, exc: DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return error_response(
            api, request, 422, "validation_error", _("Some fields are not valid."), fields
        )

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request, exc):
        return error_response(
            api,
            request,
            401,
            "unauthenticated",
            _("Sign in or send a valid API token (Authorization: Bearer …)."),
        )

    @api.exception_handler(AuthorizationError)
    def on_forbidden_ninja(request, exc):
        return error_response(
            api, request, 403, "forbidden", _("You do not have permission to do this.")
        )

    @api.exception_handler(PermissionDenied)
    def on_forbidden(request, exc):
        message = str(exc) or _("You do not have permission to do this.")
        return error_response(api, request, 403, "forbidden", message)

    @api.exception_handler(Http404)
    def on_not_found(request, exc):
        return error_response(api, request, 404, "not_found", _("Not found."))

    @api.exception_handler(ObjectDoesNotExist)
    def on_missing(request, exc):
        return error_response(api, request, 404, "not_found", _("Not found."))

    @api.exception_handler(HttpError)
    def on_http_error(request, exc: HttpError):
        codes = {
            400: "bad_request",
            401: "unauthenticated",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            409: "conflict",
            422: "validation_error",
            429: "throttled",
        }
        return error_response(
            api, request, exc.status_code, codes.get(exc.status_code, "error"), str(exc)
        )

    @api.exception_handler(OverflowError)
    @api.exception_handler(DataError)
    def on_out_of_range(request, exc):
        # An id or number too large for the database column (found by fuzzing: ?actor_id=-3e20
        # raised OverflowError on SQLite and "integer out of range" on PostgreSQL).
        return error_response(
            api, request, 422, "validation_error", _("Some fields are not valid."), {}
        )

    @api.exception_handler(Exception)
    def on_unexpected(request, exc):
        from kefu.core.views import RETRY_AFTER_SECONDS, database_unavailable

        if database_unavailable(exc):
            log.error("database unavailable (request %s): %s", getattr(request, "id", "-"), exc)
            response = error_response(
                api,
                request,
                503,
                "unavailable",
                _("The database cannot be reached. Nothing was saved; retry in %(seconds)s s.")
                % {"seconds": RETRY_AFTER_SECONDS},
            )
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        log.exception("unhandled API error (request %s)", getattr(request, "id", "-"))
        return error_response(
            api,
            request,
            500,
            "server_error",
            _("Something went wrong on our side. The error was logged with request id %s.")
            % getattr(request, "id", "-"),
        )
