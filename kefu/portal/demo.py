"""Demo portal logins and a few web requests in every state the portal shows.

`customer` (张伟 Zhang Wei, linked by the customers demo) gets a solved request to rate, a
complaint with its 5W2H answers and a request waiting for his reply. `customer.org` is a person
in a demo organisation who may see the organisation's requests. Password: DEMO_PASSWORD.
"""

from __future__ import annotations

from decimal import Decimal

from kefu.accounts.models import User
from kefu.core.demo import DEMO_PASSWORD
from kefu.customers.models import Customer, CustomerKind
from kefu.portal import services
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Ticket

# username, display name, language — shown with the other demo logins (see docs/portal.md).
PORTAL_LOGINS = [
    ("customer", "张伟 Zhang Wei", "zh-hans"),
    ("customer.org", "企业客户联系人 Organisation contact", "en"),
]

# key, login, kind, subject, description, 5W2H, what the service team did
REQUESTS = [
    (
        "solved-delivery",
        "customer",
        "inquiry",
        "快递什么时候到？ When will my parcel arrive?",
        "订单 HX20261125-0042 已经五天没有物流更新。 No tracking update for five days.",
        {},
        "solve",
    ),
    (
        "complaint-screen",
        "customer",
        "complaint",
        "新手机屏幕有裂痕 New phone arrived with a cracked screen",
        "",
        {
            "w_what": "开箱发现屏幕右上角有裂痕。 The screen was cracked when I opened the box.",
            "w_why": "手机是送给父亲的生日礼物。 It is a birthday present for my father.",
            "w_who": "顺丰快递员 SF courier",
            "w_when": "2026-11-28 下午 afternoon",
            "w_where": "上海市浦东新区 Pudong, Shanghai",
            "w_how": "外包装箱有明显压痕。 The outer box was visibly crushed.",
            "w_how_much": Decimal("3299.00"),
        },
        "reply",
    ),
    (
        "pending-invoice",
        "customer",
        "request",
        "请开具增值税专用发票 Please issue a VAT invoice",
        "公司报销需要专票。 My company needs a special VAT invoice.",
        {},
        "pending",
    ),
    (
        "org-own",
        "customer.org",
        "request",
        "Bulk order: 20 routers for the new office",
        "Can you deliver 20 AX3 routers to our Shenzhen office before 15 December?",
        {},
        "reply",
    ),
]
COLLEAGUE_REQUEST = (
    "org-colleague",
    "Printer toner for the finance department",
    "We need 6 toner cartridges for the HP printers on floor 3.",
)
TEAM_REPLY = {
    "solve": "您好，包裹已于今天上午签收。 Your parcel was delivered this morning.",
    "reply": "非常抱歉给您带来不便，我们正在处理。 We are sorry, we are working on it.",
    "pending": "请提供公司名称和税号。 Please send us your company name and tax number.",
}


def _org_contact() -> tuple[Customer, Customer] | None:
    """A person in a demo organisation without a portal login, and a colleague of theirs."""
    people = (
        Customer.objects.active()
        .filter(kind=CustomerKind.PERSON, organization__isnull=False, user__isnull=True)
        .order_by("organization_id", "pk")
    )
    first = people.first()
    if first is None:
        return None
    colleague = people.filter(organization_id=first.organization_id).exclude(pk=first.pk).first()
    return first, colleague


def _ensure_logins() -> dict[str, Customer]:
    linked = {
        c.user.username: c
        for c in Customer.objects.filter(
            user__username__in=[login for login, _n, _l in PORTAL_LOGINS]
        ).select_related("user", "organization")
    }
    if "customer.org" not in linked and not User.objects.filter(username="customer.org").exists():
        pair = _org_contact()
        if pair is not None:
            person, _colleague = pair
            services.portal_login_create(
                actor=None,
                customer=person,
                email="customer.org@huaxin-demo.cn",
                username="customer.org",
                password=DEMO_PASSWORD,
                validate_password=False,
            )
            User.objects.filter(username="customer.org").update(language="en")
            person.refresh_from_db()
            services.portal_access_set(actor=None, customer=person, sees_organisation_tickets=True)
            linked["customer.org"] = person
    return linked


def _make(key, customer, kind, subject, description, five_w_two_h) -> Ticket:
    return ticket_services.ticket_create(
        actor=customer.user,
        customer=customer,
        subject=subject,
        description=description,
        channel="web",
        kind=kind,
        fields=five_w_two_h,
        custom_fields={"portal_demo": key},
    )


def _handle(ticket: Ticket, action: str, agent) -> None:
    if agent is None:
        return
    ticket_services.ticket_update(
        actor=agent, ticket=ticket, expected_version=ticket.version, changes={"assignee": agent}
    )
    ticket_services.message_add(
        actor=agent, ticket=ticket, kind="reply", body=TEAM_REPLY[action], confirm_warnings=True
    )
    if action in ("solve", "pending"):
        ticket = Ticket.objects.get(pk=ticket.pk)
        ticket_services.ticket_transition(
            actor=agent,
            ticket=ticket,
            to_status="solved" if action == "solve" else "pending",
            expected_version=ticket.version,
        )


def load(*, scale: int, rng, stdout=None) -> None:
    logins = _ensure_logins()
    if not logins:
        return
    agent = User.objects.filter(username="agent").first()
    done = set(
        Ticket.objects.filter(custom_fields__has_key="portal_demo").values_list(
            "custom_fields__portal_demo", flat=True
        )
    )
    made = 0
    for key, login, kind, subject, description, five_w_two_h, action in REQUESTS:
        customer = logins.get(login)
        if customer is None or key in done:
            continue
        ticket = _make(key, customer, kind, subject, description, five_w_two_h)
        _handle(ticket, action, agent)
        made += 1
    org_person = logins.get("customer.org")
    if org_person is not None and COLLEAGUE_REQUEST[0] not in done:
        pair = Customer.objects.filter(
            organization_id=org_person.organization_id, kind=CustomerKind.PERSON
        ).exclude(pk=org_person.pk)
        colleague = pair.order_by("pk").first()
        if colleague is not None:
            key, subject, description = COLLEAGUE_REQUEST
            ticket_services.ticket_create(
                actor=None,
                customer=colleague,
                subject=subject,
                description=description,
                channel="email",
                kind="request",
                custom_fields={"portal_demo": key},
            )
            made += 1
    if stdout is not None:
        names = ", ".join(sorted(logins))
        stdout.write(f"  portal: logins {names}; {made} new web requests")
