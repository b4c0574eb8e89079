"""Every write to users, teams and tokens goes through here (validation, transaction, audit)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import ApiToken, LoginFailure, Team, User
from kefu.accounts.roles import Role
from kefu.core.audit import audit_record, diff, snapshot
from kefu.core.errors import NotAllowed, ValidationFailed
from kefu.core.versioning import update_versioned

TOKEN_PREFIX = "kefu_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    roles: list[Role | str],
    email: str = "",
    display_name: str = "",
    language: str = "",
    validate: bool = True,
) -> User:
    """Create a user with the given roles. `password=None` makes an account without a password."""
    unknown = [str(r) for r in roles if str(r) not in {r.value for r in Role}]
    if unknown:
        raise ValidationFailed(
            _("Unknown role: %s") % ", ".join(unknown), fields={"roles": unknown}
        )
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed(
            _("That username is taken."), fields={"username": _("That username is taken.")}
        )
    user = User(username=username, email=email, display_name=display_name, language=language)
    if password is None:
        user.set_unusable_password()
    else:
        if validate:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise ValidationFailed(
                    _("The password is not strong enough."), fields={"password": exc.messages}
                ) from exc
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set(Group.objects.filter(name__in=[str(r) for r in roles]))
    audit_record(
        actor=actor,
        action="user.created",
        obj=user,
        changes={"username": [None, username], "roles": [None, sorted(str(r) for r in roles)]},
    )
    return user


@transaction.atomic
def user_change_password(*, actor: User, user: User, old_password: str, new_password: str) -> User:
    """Change a password after checking the old one; other sessions are signed out."""
    if actor.pk != user.pk:
        raise NotAllowed(_("You can only change your own password."))
    if not user.check_password(old_password):
        raise ValidationFailed(
            _("Your old password was entered incorrectly."),
            fields={"old_password": _("Your old password was entered incorrectly.")},
        )
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationFailed(
            _("The password is not strong enough."), fields={"new_password": exc.messages}
        ) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, action="user.password_changed", obj=user)
    return user


@transaction.atomic
def team_create(*, actor: User, name: str, description: str = "", lead: User | None = None) -> Team:
    if not actor.has_perm("accounts.add_team"):
        raise NotAllowed(_("You may not create teams."))
    team = Team(name=name.strip(), description=description, lead=lead)
    try:
        team.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(_("The team is not valid."), fields=exc.message_dict) from exc
    team.save()
    if lead is not None:
        team.members.add(lead)
    audit_record(
        actor=actor,
        action="team.created",
        obj=team,
        changes=diff({}, snapshot(team, ["name", "lead"])),
    )
    return team


TEAM_EDITABLE_FIELDS = ("name", "description", "lead")


@transaction.atomic
def team_update(*, actor: User, team: Team, expected_version: int, changes: dict) -> Team:
    """Change a team's name, description or lead; refuses a stale `expected_version` (409)."""
    if not actor.has_perm("accounts.change_team"):
        raise NotAllowed(_("You may not change teams."))
    unknown = set(changes) - set(TEAM_EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed: %s") % ", ".join(sorted(unknown)),
            fields={name: _("This field cannot be changed.") for name in unknown},
        )
    before = snapshot(team, TEAM_EDITABLE_FIELDS)
    try:
        update_versioned(team, expected_version=expected_version, changes=changes)
    except ValidationError as exc:
        raise ValidationFailed(_("The team is not valid."), fields=exc.message_dict) from exc
    audit_record(
        actor=actor,
        action="team.updated",
        obj=team,
        changes=diff(before, snapshot(team, TEAM_EDITABLE_FIELDS)),
    )
    return team


@transaction.atomic
def team_set_members(*, actor: User | None, team: Team, members: list[User]) -> Team:
    before = sorted(team.members.values_list("pk", flat=True))
    team.members.set(members)
    after = sorted(m.pk for m in members)
    if before != after:
        audit_record(
            actor=actor,
            action="team.members_changed",
            obj=team,
            changes={"members": [before, after]},
        )
    return team


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str  # shown once; only the hash is stored


@transaction.atomic
def token_create(
    *, actor: User, user: User, name: str, expires_at: dt.datetime | None = None
) -> IssuedToken:
    """Issue a new API token for `user`; the raw value is returned once and never stored."""
    if actor.pk != user.pk and not actor.has_perm("accounts.change_user"):
        raise NotAllowed(_("You may only create tokens for yourself."))
    if not name.strip():
        raise ValidationFailed(
            _("Give the token a name."), fields={"name": _("This field is required.")}
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(
            _("The expiry date must be in the future."),
            fields={"expires_at": _("The expiry date must be in the future.")},
        )
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=prefix,
        token_hash=hash_token(raw),
        expires_at=expires_at,
    )
    audit_record(actor=actor, action="token.created", obj=token, changes={"user": [None, user.pk]})
    return IssuedToken(token=token, raw=raw)


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    if actor.pk != token.user_id and not actor.has_perm("accounts.change_user"):
        raise NotAllowed(_("You may only revoke your own tokens."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, action="token.revoked", obj=token)
    return token


def token_authenticate(raw: str) -> User | None:
    """Return the active user a valid, unrevoked, unexpired token belongs to, else None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or (token.expires_at and token.expires_at <= now) or not token.user.is_active:
        return None
    # Touch last-used at most once a minute: a busy client must not write on every request.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class LoginThrottled(Exception):
    """Too many failed sign-ins for this username from this address; `minutes` to wait."""

    def __init__(self, minutes: int):
        super().__init__(minutes)
        self.minutes = minutes


def login_attempt(*, request, username: str, password: str) -> User | None:
    """Check credentials, throttled per username + IP (a cache counter, see throttle.py).

    Raises LoginThrottled once KEFU_LOGIN_MAX_FAILURES failures fell in the window; the
    password is never checked (nor logged) while locked. Failures are also kept as
    LoginFailure rows for the record.
    """
    from kefu.accounts import throttle

    limit = throttle.login_limit()
    ip = throttle.client_ip(request)
    if throttle.is_locked(limit, username, ip):
        raise LoginThrottled(minutes=max(1, limit.window_seconds // 60))
    user = authenticate(request, username=username, password=password)
    if user is None:
        throttle.record_failure(limit, username, ip)
        LoginFailure.objects.create(
            username=username[:150], ip_address=request.META.get("REMOTE_ADDR")
        )
        return None
    throttle.clear(limit, username, ip)
    LoginFailure.objects.filter(
        username__iexact=username, ip_address=request.META.get("REMOTE_ADDR")
    ).delete()
    return user
