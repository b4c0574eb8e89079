"""A small company for security tests: one user per role, two teams, two portal customers,
tickets of each team with attachments, articles, a survey with an invitation, an SLA policy.

Everything is created through the apps' services or their own test factories, so the objects
are shaped the way real use shapes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.test import Client

from kefu.accounts.services import token_create
from kefu.knowledge.models import Visibility
from kefu.knowledge.tests.factories import make_article
from kefu.portal.tests.factories import make_portal_customer, png_bytes
from kefu.portal.tokens import make_status_token
from kefu.tickets import services as ticket_services
from kefu.tickets.services.conversation import UploadedFile
from kefu.tickets.tests.factories import make_team

ROLES = ("anonymous", "customer", "agent", "qa", "supervisor", "manager", "admin")


@dataclass
class World:
    users: dict = field(default_factory=dict)  # role -> User (customer = Alice)
    tokens: dict = field(default_factory=dict)  # role -> raw API token
    objects: dict = field(default_factory=dict)  # name -> model instance

    def client(self, role: str) -> Client:
        client = Client(raise_request_exception=False)
        if role != "anonymous":  # any key of users: a role, "bob" or "agent_b"
            client.force_login(self.users[role])
        return client

    def api_client(self, role: str) -> Client:
        if role == "anonymous":
            return Client(raise_request_exception=False)
        return Client(
            raise_request_exception=False, headers={"Authorization": f"Bearer {self.tokens[role]}"}
        )


def build_world(make_user) -> World:
    world = World()
    for role in ("agent", "qa", "supervisor", "manager", "admin"):
        world.users[role] = make_user(role, username=f"w-{role}", email=f"{role}@kefu.test")
    alice, alice_customer = make_portal_customer(
        make_user, name="Alice Wang", email="alice@example.com"
    )
    bob, bob_customer = make_portal_customer(make_user, name="Bob Li", email="bob@example.com")
    world.users["customer"] = alice
    world.users["bob"] = bob
    agent_b = make_user("agent", username="w-agent-b")
    world.users["agent_b"] = agent_b
    team_a = make_team("Team A", members=[world.users["agent"]])
    team_b = make_team("Team B", members=[agent_b])
    admin = world.users["admin"]

    ticket_a = ticket_services.ticket_create(
        actor=alice, customer=alice_customer, subject="Alice's parcel", team=team_a
    )
    ticket_b = ticket_services.ticket_create(
        actor=bob, customer=bob_customer, subject="Bob's refund", team=team_b
    )
    message_b = ticket_services.message_add(
        actor=bob,
        ticket=ticket_b,
        kind="customer",
        body="Photo of the damage",
        attachments=[UploadedFile("damage.png", "image/png", png_bytes())],
    )
    message_a = ticket_services.message_add(
        actor=alice,
        ticket=ticket_a,
        kind="customer",
        body="My receipt",
        attachments=[UploadedFile("receipt.png", "image/png", png_bytes())],
    )
    public_article = make_article("退货政策", actor=admin)
    internal_article = make_article("内部：退款审批", actor=admin, visibility=Visibility.INTERNAL)

    from kefu.surveys.services import invitation_create
    from kefu.surveys.tests.factories import published

    survey = published(admin)
    invitation_b = invitation_create(
        actor=admin, survey=survey, customer=bob_customer, ticket=ticket_b, send=False
    )

    for role in ("customer", "agent", "qa", "supervisor", "manager", "admin"):
        user = world.users[role]
        world.tokens[role] = token_create(actor=user, user=user, name="security").raw
    world.objects.update(
        alice_customer=alice_customer,
        bob_customer=bob_customer,
        team_a=team_a,
        team_b=team_b,
        ticket_a=ticket_a,
        ticket_b=ticket_b,
        message_b=message_b,
        attachment_a=message_a.attachments.get(),
        attachment_b=message_b.attachments.get(),
        public_article=public_article,
        internal_article=internal_article,
        survey=survey,
        invitation_b=invitation_b,
        status_token_b=make_status_token(ticket_b),
        admin_token=admin.api_tokens.get(),
    )
    return world
