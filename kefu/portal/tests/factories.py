"""Factories for portal tests: customers with portal logins, answered and solved tickets."""

from __future__ import annotations

import itertools
import struct
import zlib

from kefu.customers.models import Customer, CustomerKind
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Ticket

_n = itertools.count(1)


def make_portal_customer(make_user, *, name: str, email: str, organization=None):
    """A customer record linked to a portal login with the customer role."""
    user = make_user("customer", email=email, display_name=name)
    n = next(_n)
    customer = Customer.objects.create(
        name=name,
        number=f"P-{n:06d}",
        kind=CustomerKind.PERSON,
        organization=organization,
        user=user,
    )
    return user, customer


def make_organisation(name: str = "华信集团") -> Customer:
    return Customer.objects.create(
        name=name, number=f"O-{next(_n):06d}", kind=CustomerKind.ORGANIZATION
    )


def make_request(user, customer, **fields) -> Ticket:
    fields.setdefault("subject", "Order 1042 has not arrived")
    fields.setdefault("description", "I ordered on Monday and nothing came yet.")
    return ticket_services.ticket_create(actor=user, customer=customer, channel="web", **fields)


def answer(agent, ticket: Ticket, body: str = "We are checking with the courier.") -> None:
    """The agent takes the ticket and replies to the customer."""
    ticket = Ticket.objects.get(pk=ticket.pk)
    if ticket.assignee_id is None:
        ticket_services.ticket_update(
            actor=agent, ticket=ticket, expected_version=ticket.version, changes={"assignee": agent}
        )
    ticket_services.message_add(
        actor=agent, ticket=ticket, kind="reply", body=body, confirm_warnings=True
    )


def solve(agent, ticket: Ticket) -> Ticket:
    """Answer and solve a (non-complaint) ticket the way an agent does."""
    answer(agent, ticket, "The parcel was delivered today.")
    ticket = Ticket.objects.get(pk=ticket.pk)
    return ticket_services.ticket_transition(
        actor=agent, ticket=ticket, to_status="solved", expected_version=ticket.version
    )


def png_bytes() -> bytes:
    """A real 1×1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
