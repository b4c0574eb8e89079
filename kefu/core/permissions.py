"""Server-side permission checks shared by views, API handlers and services."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


def require_perm(user, *perms: str) -> None:
    """Raise PermissionDenied unless `user` holds every permission in `perms`."""
    if not user.is_authenticated or not user.has_perms(perms):
        raise PermissionDenied(_("You do not have permission to do this."))


def require_staff(user) -> None:
    """Raise PermissionDenied for anonymous users and portal customers."""
    if not user.is_authenticated or getattr(user, "is_customer", False) or not user.is_active:
        raise PermissionDenied(_("This area is for staff only."))
