"""Request id for the audit trail, and authentication required on every page by default."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.contrib.auth.views import redirect_to_login

from kefu.core.request_context import RequestContext, reset_request_context, set_request_context

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Give each request an id (or keep a sane incoming X-Request-ID) and remember its IP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = set_request_context(
            RequestContext(request_id=request.id, ip_address=request.META.get("REMOTE_ADDR"))
        )
        try:
            response = self.get_response(request)
        finally:
            reset_request_context(token)
        response["X-Request-ID"] = request.id
        return response


# Paths reachable without a session: login itself, static files, the API (it has its own
# token/session authentication per endpoint), the language switch and the portal's token links.
PUBLIC_PREFIXES = (
    "/accounts/login/",
    "/static/",
    "/api/",
    "/i18n/",
    "/portal/t/",
    "/portal/login/",
    "/portal/magic/",
    "/s/",
)


class LoginRequiredEverywhereMiddleware:
    """Send anonymous visitors of any non-public page to the login page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        public = path.startswith(PUBLIC_PREFIXES) or path == "/favicon.ico"
        if not public and not request.user.is_authenticated:
            # Customers sign in on the portal's own page; staff on the staff login.
            login_url = "portal:login" if path.startswith("/portal/") else settings.LOGIN_URL
            return redirect_to_login(request.get_full_path(), login_url)
        return self.get_response(request)
