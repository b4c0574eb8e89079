"""The home page, the settings area and the audit log."""

from __future__ import annotations

import sys

from django.core.paginator import Paginator
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template.loader import render_to_string

from kefu.accounts.roles import ROLE_LABELS
from kefu.accounts.selectors import team_list
from kefu.core import selectors
from kefu.core.permissions import require_perm, require_staff

RETRY_AFTER_SECONDS = 30


def database_unavailable(exc: BaseException | None) -> bool:
    """True for what a database that cannot be reached (stopped, restarting, network cut,
    SQLite locked by a long write) raises — a state to retry, not a bug. SQLite's other
    OperationalErrors (no such table, …) are bugs and stay 500s."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    if connection.vendor == "sqlite":
        return "locked" in str(exc) or "unable to open" in str(exc)
    return True


def server_error(request):
    """The 500 page; a 503 with Retry-After when the database could not be reached.

    Django calls this inside its exception handler, so `sys.exc_info()` is the error. It renders
    without a request context: the session, the user and the database may all be unreachable.
    """
    if database_unavailable(sys.exc_info()[1]):
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(render_to_string("500.html"))


def home(request):
    if getattr(request.user, "is_customer", False):
        return redirect("portal:home")  # customers live on the portal
    require_staff(request.user)
    user = request.user
    roles = [ROLE_LABELS.get(r, r) for r in sorted(user.role_names())]
    can_audit = user.has_perm("core.view_auditevent")
    recent = list(selectors.audit_event_list()[:8]) if can_audit else []
    teams = team_list(actor=user).filter(members=user)
    return render(
        request,
        "core/home.html",
        {
            "roles": roles,
            "my_teams": teams,
            "recent_events": recent,
            "work": selectors.work_summary(user),
        },
    )


def search(request):
    """The top bar's search: customers, tickets and knowledge articles the user may see."""
    require_staff(request.user)
    q = request.GET.get("q", "").strip()
    results = selectors.global_search(request.user, q) if q else None
    return render(request, "core/search.html", {"q": q, "results": results})


def settings_home(request):
    require_perm(request.user, "accounts.manage_settings")
    return render(request, "core/settings.html", {"teams": team_list(actor=request.user)})


def audit_log(request):
    require_perm(request.user, "core.view_auditevent")
    filters = {
        "object_type": request.GET.get("object_type") or None,
        "action": request.GET.get("action") or None,
    }
    page = Paginator(selectors.audit_event_list(**filters), 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_log.html", {"page": page, "filters": filters})
