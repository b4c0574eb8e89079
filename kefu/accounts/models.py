"""Users, teams and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import STAFF_ROLES, Role
from kefu.core.models import TimeStampedModel, VersionedModel


class User(AbstractUser):
    """A person who signs in: staff (agents, supervisors, …) or a portal customer."""

    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    authority_limit = models.DecimalField(
        _("authority limit"),
        max_digits=12,
        decimal_places=2,
        default=0,
        help_text=_("Compensation this person may grant without approval, per case."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("view_pii", _("Can view personal data unmasked")),
            ("manage_settings", _("Can change system settings")),
        ]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def role_names(self) -> set[str]:
        """Names of the role groups this user belongs to (cached per instance)."""
        if not hasattr(self, "_role_names"):
            self._role_names = set(self.groups.values_list("name", flat=True))
        return self._role_names

    def has_role(self, *roles: Role | str) -> bool:
        return bool(self.role_names() & {str(r) for r in roles}) or self.is_superuser

    @property
    def is_customer(self) -> bool:
        return Role.CUSTOMER in self.role_names() and not (self.role_names() & STAFF_ROLES)

    @property
    def primary_role(self) -> str:
        for role in (Role.ADMIN, Role.MANAGER, Role.SUPERVISOR, Role.QA, Role.AGENT, Role.CUSTOMER):
            if role in self.role_names():
                return role.value
        return "admin" if self.is_superuser else ""


class Team(VersionedModel):
    """A group of agents (小组) with a lead."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    lead = models.ForeignKey(
        User,
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )
    members = models.ManyToManyField(
        User, verbose_name=_("members"), related_name="teams", blank=True
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiToken(TimeStampedModel):
    """A bearer token for the API. Only its SHA-256 hash is stored; the token is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class LoginFailure(models.Model):
    """One failed sign-in, kept for throttling (per username + IP within a time window)."""

    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")

    def __str__(self) -> str:
        return f"{self.username} @ {self.ip_address} {self.at:%Y-%m-%d %H:%M}"
