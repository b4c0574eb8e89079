"""Background work of the surveys app: invitation mail, due post-resolution surveys, follow-ups.

Each task is idempotent: a retry or a second worker finds the work already done.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.core.tasks import task
from kefu.surveys import services
from kefu.surveys.models import Invitation, InvitationState

DISPATCH_BATCH = 500


def survey_link(invitation: Invitation) -> str:
    base = getattr(settings, "KEFU_SITE_URL", "") or "http://127.0.0.1:8000"
    return f"{base.rstrip('/')}/s/{services.invitation_token(invitation)}/"


@task(name="surveys.send_invitation")
def send_invitation(invitation_id: int) -> bool:
    """Email one invitation (once: the scheduled → sent switch is a compare-and-set)."""
    invitation = (
        Invitation.objects.select_related("survey", "customer").filter(pk=invitation_id).first()
    )
    if invitation is None or invitation.state != InvitationState.SCHEDULED or not invitation.email:
        return False
    if invitation.send_after and invitation.send_after > timezone.now():
        return False  # the periodic dispatcher sends it when it is due
    if not services.invitation_mark_sent(invitation.pk):
        return False
    language = getattr(invitation.customer, "language", "") or settings.LANGUAGE_CODE
    with translation.override("zh-hans" if language.lower().startswith("zh") else "en"):
        subject = invitation.survey.title
        body = _(
            "Hello,\n\nWe would value your opinion. The survey takes about two minutes:\n"
            "%(link)s\n\nThe link is personal and valid until %(expires)s.\n\nThank you!"
        ) % {"link": survey_link(invitation), "expires": f"{invitation.expires_at:%Y-%m-%d}"}
    send_mail(subject, body, None, [invitation.email])
    return True


@task(name="surveys.dispatch_due", every_seconds=60)
def dispatch_due() -> int:
    """Send the scheduled invitations whose delay has passed (post-resolution surveys)."""
    now = timezone.now()
    due = list(
        Invitation.objects.filter(
            state=InvitationState.SCHEDULED, send_after__lte=now, expires_at__gt=now
        )
        .exclude(email="")
        .values_list("pk", flat=True)[:DISPATCH_BATCH]
    )
    return sum(bool(send_invitation(pk)) for pk in due)


@task(name="surveys.open_follow_up")
def open_follow_up(response_id: int) -> int | None:
    """Open the service-recovery ticket of a low-score response."""
    ticket = services.follow_up_open(response_id=response_id)
    return ticket.pk if ticket else None
