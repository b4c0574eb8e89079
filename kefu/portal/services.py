"""Writes of the customer portal (M49): sign-in links, requests, replies, ratings, access.

Tickets and messages are written by kefu.tickets.services; this module checks that the customer
acts on their own requests, validates the portal's input, and owns the portal's own records.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.roles import Role
from kefu.core.audit import audit_record
from kefu.core.errors import Conflict, NotAllowed, ValidationFailed
from kefu.core.tasks import enqueue
from kefu.customers.models import Customer
from kefu.portal import selectors, tokens
from kefu.portal.models import MagicLink, PortalAccess, ResolutionRating
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Message, MessageKind, Ticket, TicketKind, TicketStatus
from kefu.tickets.services.conversation import UploadedFile, validate_upload

FIVE_W_TWO_H = ("w_what", "w_why", "w_who", "w_when", "w_where", "w_how", "w_how_much")
MAX_FILES_PER_MESSAGE = 5
# Sign-in links: at most this many per person in the link lifetime (a mailbox is not a toy).
MAX_OPEN_LINKS = 5


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- signing in ----------------------------------------------------------------------------------


def _portal_user_for_email(email: str) -> User | None:
    """The active portal customer with this address: their login's email, else the one customer
    record whose email contact it is (a login is created for them on first use)."""
    from kefu.customers.contacts import ContactValueError, normalize_contact

    email = (email or "").strip()
    if not email:
        return None
    users = [
        u
        for u in User.objects.filter(email__iexact=email, is_active=True).prefetch_related("groups")
        if u.is_customer
    ]
    if len(users) == 1:
        return users[0]
    if users:
        return None  # ambiguous: never guess whose mailbox this is
    try:
        normalized = normalize_contact("email", email)
    except ContactValueError:
        return None
    customers = list(
        Customer.objects.active()
        .filter(contacts__kind="email", contacts__normalized=normalized)
        .select_related("user")
        .distinct()[:2]
    )
    if len(customers) != 1:
        return None
    customer = customers[0]
    if customer.user is not None:
        user = customer.user
        return user if user.is_active and user.is_customer else None
    return portal_login_create(actor=None, customer=customer, email=email)


@transaction.atomic
def magic_link_issue(*, user: User) -> str:
    """Store a new single-use sign-in link for `user`; returns its token (the only copy)."""
    secret = secrets.token_urlsafe(32)
    MagicLink.objects.create(
        user=user,
        secret_hash=_hash(secret),
        expires_at=timezone.now() + tokens.magic_link_lifetime(),
    )
    return tokens.sign_magic_secret(secret)


@transaction.atomic
def magic_link_request(*, email: str, site_url: str, language: str = "") -> bool:
    """Email a sign-in link to the portal customer with `email`, through the task queue.

    Returns whether a link was sent; callers show the same answer either way, so the form
    does not reveal which addresses have accounts. Staff never get links (they use passwords).
    """
    user = _portal_user_for_email(email)
    if user is None or not user.email:
        return False
    since = timezone.now() - tokens.magic_link_lifetime()
    if MagicLink.objects.filter(user=user, created_at__gte=since).count() >= MAX_OPEN_LINKS:
        return False
    token = magic_link_issue(user=user)
    url = site_url.rstrip("/") + reverse("portal:magic", args=[token])
    from kefu.portal.tasks import send_magic_link

    enqueue(send_magic_link, user.pk, url, user.language or language)
    audit_record(actor=None, action="portal.magic_link_sent", obj=user)
    return True


def _valid_link(token: str) -> MagicLink:
    secret = tokens.unsign_magic_secret(token)
    link = MagicLink.objects.select_related("user").filter(secret_hash=_hash(secret)).first()
    if link is None or not link.user.is_active or not link.user.is_customer:
        raise tokens.TokenInvalid
    if link.used_at is not None:
        raise MagicLinkUsed
    if link.expires_at <= timezone.now():
        raise tokens.TokenExpired
    return link


class MagicLinkUsed(tokens.TokenInvalid):
    """The link was already used to sign in."""


def magic_link_check(token: str) -> User:
    """The customer a sign-in link is for, without using it up (TokenInvalid family if not)."""
    return _valid_link(token).user


@transaction.atomic
def magic_link_consume(*, token: str) -> User:
    """Use a sign-in link: it works once (a concurrent second use loses), then never again."""
    link = _valid_link(token)
    now = timezone.now()
    if MagicLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now) != 1:
        raise MagicLinkUsed
    # One sign-in retires every other link still waiting in the mailbox.
    MagicLink.objects.filter(user=link.user, used_at__isnull=True).update(used_at=now)
    audit_record(actor=link.user, action="portal.signed_in_by_link", obj=link.user)
    return link.user


# --- portal logins and access ------------------------------------------------------------------


def _free_username(email: str) -> str:
    base = (email.strip().lower() or "customer")[:140]
    username, n = base, 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}.{n}"
    return username


@transaction.atomic
def portal_login_create(
    *,
    actor,
    customer: Customer,
    email: str,
    username: str = "",
    password: str | None = None,
    validate_password: bool = True,
) -> User:
    """Give `customer` a portal login (role customer); without a password they use email links."""
    from kefu.accounts import services as account_services
    from kefu.customers import services as customer_services

    if actor is not None and not actor.has_perm("customers.change_customer"):
        raise NotAllowed(_("You do not have permission to do this."))
    if customer.user_id is not None:
        raise ValidationFailed(
            _("This customer already has a portal login."),
            fields={"user": _("This customer already has a portal login.")},
        )
    user = account_services.user_create(
        actor=actor,
        username=username or _free_username(email),
        password=password,
        roles=[Role.CUSTOMER],
        email=email.strip(),
        display_name=customer.name,
        language=customer.language if customer.language in ("en", "zh-hans") else "",
        validate=validate_password,
    )
    customer_services.customer_update(
        actor=actor, customer=customer, expected_version=customer.version, changes={"user": user}
    )
    return user


@transaction.atomic
def portal_access_set(
    *, actor, customer: Customer, sees_organisation_tickets: bool
) -> PortalAccess:
    """Let (or stop) a person see their organisation's requests on the portal."""
    if actor is not None and not actor.has_perm("customers.change_customer"):
        raise NotAllowed(_("You do not have permission to do this."))
    if sees_organisation_tickets and customer.organization_id is None:
        raise ValidationFailed(
            _("This customer belongs to no organisation."),
            fields={"sees_organisation_tickets": _("This customer belongs to no organisation.")},
        )
    access, _created = PortalAccess.objects.select_for_update().get_or_create(customer=customer)
    before = access.sees_organisation_tickets
    if before != sees_organisation_tickets or _created:
        access.sees_organisation_tickets = sees_organisation_tickets
        access.save()
        audit_record(
            actor=actor,
            action="portal.access_changed",
            obj=customer,
            changes={"sees_organisation_tickets": [before, sees_organisation_tickets]},
        )
    return access


# --- requests, replies and ratings ---------------------------------------------------------------


def _check_uploads(uploads: list[UploadedFile]) -> None:
    if len(uploads) > MAX_FILES_PER_MESSAGE:
        raise ValidationFailed(
            _("Attach at most %(n)d files at a time.") % {"n": MAX_FILES_PER_MESSAGE},
            fields={"attachments": _("Too many files.")},
        )
    for upload in uploads:
        validate_upload(upload)


def _own_customer(actor, customer: Customer | None) -> Customer:
    if customer is None or customer.user_id != actor.pk or not actor.is_customer:
        raise NotAllowed(_("Only the customer can do this on the portal."))
    return customer


@transaction.atomic
def request_submit(
    *,
    actor,
    customer: Customer | None,
    kind: str,
    subject: str,
    description: str = "",
    five_w_two_h: dict | None = None,
    uploads: list[UploadedFile] | None = None,
) -> Ticket:
    """Open a request from the portal (channel "web"). Complaints record the 5W2H fields (M2):
    What is required; files are checked before anything is stored."""
    customer = _own_customer(actor, customer)
    uploads = list(uploads or [])
    if kind not in TicketKind.values:
        raise ValidationFailed(_("Choose a kind of request."), fields={"kind": _("Unknown kind.")})
    fields = {}
    if kind == TicketKind.COMPLAINT:
        fields = {k: v for k, v in (five_w_two_h or {}).items() if k in FIVE_W_TWO_H}
        fields = {k: v for k, v in fields.items() if v not in ("", None)}
        if not str(fields.get("w_what", "")).strip():
            raise ValidationFailed(
                _("Tell us what happened."), fields={"w_what": _("This field is required.")}
            )
        # The agents' inbox and the conversation start from the description.
        description = description.strip() or str(fields["w_what"])
    elif not description.strip():
        raise ValidationFailed(
            _("Describe your request."), fields={"description": _("This field is required.")}
        )
    _check_uploads(uploads)
    ticket = ticket_services.ticket_create(
        actor=actor,
        customer=customer,
        subject=subject,
        description=description,
        channel="web",
        kind=kind,
        fields=fields,
    )
    if uploads:
        ticket_services.message_add(
            actor=actor,
            ticket=ticket,
            kind=MessageKind.CUSTOMER,
            body=_("Files sent with the request: %(names)s")
            % {"names": ", ".join(u.filename for u in uploads)},
            attachments=uploads,
            channel="web",
        )
    return ticket


@transaction.atomic
def request_reply(
    *, actor, ticket: Ticket, body: str, uploads: list[UploadedFile] | None = None
) -> Message:
    """The customer answers on their own request; a solved request opens again (tickets rule)."""
    _own_customer(actor, ticket.customer)
    if ticket.status == TicketStatus.CLOSED:
        raise Conflict(
            _("This request is closed. Please open a new request."), code="ticket_closed"
        )
    uploads = list(uploads or [])
    _check_uploads(uploads)
    return ticket_services.message_add(
        actor=actor,
        ticket=ticket,
        kind=MessageKind.CUSTOMER,
        body=body,
        attachments=uploads,
        channel="web",
    )


@transaction.atomic
def resolution_rate(
    *, actor, ticket: Ticket, score: int, comment: str = "", confirmed: bool = True
) -> ResolutionRating:
    """Record the customer's 1–5 rating of a solved request and whether they confirm the
    resolution; once per resolution (a reopened and solved-again request can be rated again)."""
    _own_customer(actor, ticket.customer)
    ticket = (
        Ticket.objects.select_for_update(of=("self",)).select_related("customer").get(pk=ticket.pk)
    )
    if ticket.status != TicketStatus.SOLVED:
        raise Conflict(_("Only a solved request can be rated."), code="not_solved")
    if selectors.latest_rating(ticket) is not None:
        raise Conflict(_("You have already rated this resolution."), code="already_rated")
    rating = ResolutionRating(
        ticket=ticket,
        rated_by=actor,
        score=score,
        comment=(comment or "").strip(),
        confirmed=bool(confirmed),
    )
    try:
        rating.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(_("The rating is not valid."), fields=exc.message_dict) from exc
    rating.save()
    audit_record(
        actor=actor,
        action="portal.resolution_rated",
        obj=ticket,
        changes={"score": [None, rating.score], "confirmed": [None, rating.confirmed]},
    )
    # The LSPCAS Satisfy step needs the customer's own confirmation on the ticket.
    ticket_services.ticket_record_customer_feedback(
        actor=actor, ticket=ticket, confirmed=rating.confirmed, satisfaction_answered=True
    )
    return rating
