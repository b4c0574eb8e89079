"""Sign in and out, password change, and the user's API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts import selectors, services
from kefu.accounts.forms import LoginForm, PasswordChangeForm, TokenForm
from kefu.accounts.models import ApiToken
from kefu.core.errors import KefuError


def login_view(request):
    form = LoginForm(request.POST or None)
    error, status = None, 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_attempt(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except services.LoginThrottled:
            # The window is KEFU_LOGIN_WINDOW_SECONDS (15 minutes unless configured otherwise).
            user, status = None, 429
            error = _("Too many failed attempts. Wait 15 minutes and try again.")
        else:
            if user is None:
                error = _("The username or password is not correct.")
        if user is not None:
            login(request, user)
            target = request.POST.get("next") or request.GET.get("next") or "core:home"
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = "core:home"
            response = redirect(target)
            if user.language:  # the user's own language wins over the browser's
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    user.language,
                    samesite="Lax",
                    max_age=365 * 86400,
                )
            return response
    return render(
        request,
        "accounts/login.html",
        {"form": form, "error": error, "next": request.GET.get("next", "")},
        status=status,
    )


@require_POST
def logout_view(request):
    logout(request)
    return redirect("accounts:login")


def profile(request):
    return render(
        request,
        "accounts/profile.html",
        {
            "tokens": selectors.token_list(actor=request.user),
            "token_form": TokenForm(),
            "password_form": PasswordChangeForm(),
            "new_token": request.session.pop("new_token", None),
        },
    )


def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_change_password(
                actor=request.user,
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except KefuError as exc:
            for field, errors in exc.fields.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed."))
            return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            issued = services.token_create(
                actor=request.user,
                user=request.user,
                name=form.cleaned_data["name"],
                expires_at=form.cleaned_data["expires_at"],
            )
        except KefuError as exc:
            messages.error(request, exc.message)
        else:
            request.session["new_token"] = issued.raw
    else:
        messages.error(request, _("Give the token a name."))
    return redirect("accounts:profile")


@require_POST
def token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("The token was revoked."))
    return redirect("accounts:profile")
