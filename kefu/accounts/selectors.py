"""Reads of users, teams and tokens."""

from __future__ import annotations

from django.db.models import QuerySet

from kefu.accounts.models import ApiToken, Team, User


def team_list(*, actor: User) -> QuerySet[Team]:
    return Team.objects.select_related("lead").prefetch_related("members").order_by("name")


def user_list(*, actor: User) -> QuerySet[User]:
    return User.objects.prefetch_related("groups").order_by("username")


def token_list(*, actor: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=actor).order_by("-created_at")
