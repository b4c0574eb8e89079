"""Status links from emails: one request's status and conversation, without signing in."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from kefu.portal import selectors, tokens
from kefu.portal.status import status_badge
from kefu.portal.views import attachment_response
from kefu.tickets.models import Attachment


def _ticket_from(request, token: str):
    """(ticket, None) for a good token, or (None, the page that explains what is wrong)."""
    try:
        claim = tokens.read_status_token(token)
    except tokens.TokenExpired:
        reason = _("This status link has expired. Sign in to the portal to see your request.")
        status = 410
    except tokens.TokenInvalid:
        reason = _("This status link is not valid. Copy the whole link from the email.")
        status = 400
    else:
        ticket = selectors.ticket_by_uuid(claim.ticket_uuid, claim.customer_id)
        if ticket is not None:
            return ticket, None
        reason, status = _("This request is no longer available through this link."), 404
    page = render(
        request,
        "portal/link_invalid.html",
        {"reason": reason, "title": _("Status link not usable"), "show_login": True},
        status=status,
    )
    return None, page


def status_page(request, token: str):
    ticket, problem = _ticket_from(request, token)
    if problem is not None:
        return problem
    return render(
        request,
        "portal/status.html",
        {
            "ticket": ticket,
            "token": token,
            "badge": status_badge(ticket.status),
            "waiting": selectors.waiting(ticket),
            "conversation": selectors.conversation(ticket),
        },
    )


def status_attachment(request, token: str, attachment_id: int):
    ticket, problem = _ticket_from(request, token)
    if problem is not None:
        return problem
    try:
        attachment = selectors.public_attachment(ticket, attachment_id)
    except Attachment.DoesNotExist as exc:
        raise Http404 from exc
    return attachment_response(attachment)
