"""Signing in to the portal: password, or a single-use link sent by email; signing out."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts import services as account_services
from kefu.accounts.models import User
from kefu.portal import services, tokens
from kefu.portal.forms import MagicLinkForm, PasswordLoginForm


def _after_login(request, user):
    """Customers go to their requests (or `next` inside the portal); staff to the staff UI."""
    if not user.is_customer:
        response = redirect("core:home")
    else:
        target = request.POST.get("next") or request.GET.get("next") or ""
        safe = target.startswith("/portal/") and url_has_allowed_host_and_scheme(
            target, {request.get_host()}
        )
        response = redirect(target if safe else "portal:home")
    if user.language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax", max_age=365 * 86400
        )
    return response


def _username_for(login_name: str) -> str:
    """Customers may sign in with their email address as well as their username."""
    if "@" in login_name:
        match = list(User.objects.filter(email__iexact=login_name.strip())[:2])
        if len(match) == 1:
            return match[0].username
    return login_name.strip()


def login_view(request):
    if request.user.is_authenticated:
        return _after_login(request, request.user)
    action = request.POST.get("action", "")
    password_form = PasswordLoginForm(request.POST if action == "password" else None)
    magic_form = MagicLinkForm(request.POST if action == "magic" else None)
    error, status = "", 200
    if action == "magic" and magic_form.is_valid():
        services.magic_link_request(
            email=magic_form.cleaned_data["email"],
            # A configured public address wins over the request's (validated) Host header.
            site_url=getattr(settings, "KEFU_SITE_URL", "") or request.build_absolute_uri("/"),
            language=get_language() or "",
        )
        return redirect(f"{request.path}?sent=1")
    if action == "password" and password_form.is_valid():
        try:
            user = account_services.login_attempt(
                request=request,
                username=_username_for(password_form.cleaned_data["login"]),
                password=password_form.cleaned_data["password"],
            )
        except account_services.LoginThrottled:
            user, status = None, 429
            error = _("Too many failed attempts. Wait 15 minutes and try again.")
        else:
            if user is None:
                error, status = _("The email, username or password is not correct."), 200
        if user is not None:
            login(request, user)
            return _after_login(request, user)
    return render(
        request,
        "portal/login.html",
        {
            "password_form": password_form,
            "magic_form": magic_form,
            "error": error,
            "sent": request.GET.get("sent") == "1",
            "next": request.GET.get("next", ""),
        },
        status=status,
    )


def _link_problem(request, exc: tokens.TokenInvalid):
    if isinstance(exc, services.MagicLinkUsed):
        reason = _("This sign-in link was already used. Each link works once.")
    elif isinstance(exc, tokens.TokenExpired):
        reason = _("This sign-in link has expired.")
    else:
        reason = _("This sign-in link is not valid. Copy the whole link from the email.")
    return render(
        request,
        "portal/link_invalid.html",
        {"reason": reason, "title": _("Sign-in link not usable"), "show_login": True},
        status=410 if isinstance(exc, tokens.TokenExpired | services.MagicLinkUsed) else 400,
    )


def magic_view(request, token: str):
    """GET shows a button (mail scanners that open links must not use them up); POST signs in."""
    try:
        if request.method == "POST":
            user = services.magic_link_consume(token=token)
        else:
            user = services.magic_link_check(token)
    except tokens.TokenInvalid as exc:
        return _link_problem(request, exc)
    if request.method == "POST":
        if request.user.is_authenticated and request.user.pk != user.pk:
            logout(request)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return _after_login(request, user)
    return render(request, "portal/magic_confirm.html", {"link_user": user, "token": token})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("portal:login")
