"""The home page, the settings area and the audit log."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from kefu.accounts.roles import ROLE_LABELS
from kefu.accounts.selectors import team_list
from kefu.core import selectors
from kefu.core.permissions import require_perm, require_staff


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
