"""Background work of the portal: sending sign-in links by email."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.core.tasks import task
from kefu.portal.tokens import magic_link_lifetime


@task(name="portal.send_magic_link")
def send_magic_link(user_id: int, url: str, language: str = "") -> int:
    """Email the sign-in link `url` to the user, in their language. Returns messages sent."""
    from kefu.accounts.models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return 0
    with translation.override(language or settings.LANGUAGE_CODE):
        minutes = int(magic_link_lifetime().total_seconds() // 60)
        subject = _("Your sign-in link for the customer portal")
        body = _(
            "Hello %(name)s,\n\n"
            "Use this link to sign in to the customer portal. It works once and expires in "
            "%(minutes)d minutes:\n\n%(url)s\n\n"
            "If you did not ask for it, you can ignore this email."
        ) % {"name": str(user), "minutes": minutes, "url": url}
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
