"""Demo tickets of 华信电子 Huaxin Electronics: a month of inquiries, requests, complaints and
praise for the demo customers — conversations, notes, complaints in every LSPCAS stage, a
compensation awaiting approval, a mass incident and a problem record.

Everything goes through the ticket services (so events, the 3W record and the audit trail are
real); afterwards each ticket's timestamps are shifted back to its planned creation time, and
demo SLA due times are set through `ticket_set_due_times` (the SLA app's clocks, when its
policies apply, keep them current from then on). Configuration rows
(categories, root causes, authority limits) have no service yet and are written directly.
Idempotent: each ticket carries custom_fields["demo"] = its plan key.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from kefu.accounts.models import Team, User
from kefu.customers.models import Customer, CustomerKind
from kefu.tickets import services
from kefu.tickets.models import (
    AuthorityLimit,
    Category,
    Macro,
    Message,
    RootCause,
    Ticket,
    TicketEvent,
)
from kefu.tickets.services.tickets import ticket_set_due_times

CATEGORIES = {
    "产品质量 Product quality": ["屏幕 Screen", "电池 Battery", "软件 Software"],
    "物流配送 Delivery": ["延误 Delay", "破损 Damaged parcel"],
    "价格与账单 Billing": ["退款 Refund", "发票 Invoice"],
    "服务态度 Service attitude": [],
    "售后维修 Repair": [],
    "账户与会员 Account": [],
}
ROOT_CAUSES = [
    ("快递运输损坏 Courier damage", "包装或运输过程中造成的损坏"),
    ("产品缺陷 Product defect", "生产批次或设计问题"),
    ("员工服务态度 Staff attitude", "一线人员沟通或态度问题"),
    ("流程或政策问题 Process or policy", "规则不清、流程过长"),
    ("系统故障 System outage", "IT 系统或云服务中断"),
    ("客户误解 Customer misunderstanding", "说明不清导致的误解"),
]
# role, remedy, per case, per month (CNY)
LIMITS = [
    ("agent", "refund", "200", "2000"),
    ("agent", "voucher", "100", "1000"),
    ("agent", "gift", "100", "800"),
    ("agent", "apology", "0", None),
    ("supervisor", "refund", "2000", None),
    ("supervisor", "voucher", "1000", None),
    ("supervisor", "replacement", "6000", None),
    ("supervisor", "gift", "500", None),
    ("manager", "refund", "20000", None),
    ("manager", "replacement", "20000", None),
    ("manager", "voucher", "5000", None),
    ("admin", "refund", "100000", None),
]
MACROS = [
    (
        "致歉并了解情况 Apology",
        "{customer_name}您好，非常抱歉给您带来不便。我是{agent_name}，"
        "您的工单号是 {ticket_id}。为了尽快帮您处理，请提供订单号和问题照片，谢谢！",
        "pending",
        ["待补充"],
    ),
    (
        "物流查询 Parcel tracking",
        "{customer_name}您好，已为您联系快递公司核实包裹位置，预计今天内给您回复，请留意短信通知。",
        "",
        ["物流"],
    ),
    (
        "已解决确认 Solved",
        "{customer_name}您好，问题已经处理完毕。如还有任何疑问，直接回复本消息即可，"
        "我们会第一时间跟进。祝您生活愉快！",
        "solved",
        [],
    ),
    (
        "Apology (EN)",
        "Dear {customer_name}, we are sorry for the trouble. I'm {agent_name} and "
        "I'll look after ticket {ticket_id} personally. Could you send us the order number?",
        "pending",
        ["waiting-info"],
    ),
]

# kind, category (parent, child or None), priority, zh subject, zh text, en subject, en text
PLANS = [
    (
        "inquiry",
        ("产品质量 Product quality", "软件 Software"),
        "normal",
        "Mate 60 怎么开启双卡双待？",
        "新买的手机，第二张卡一直没信号，请问怎么设置？",
        "How do I enable dual SIM on the Mate 60?",
        "The second SIM shows no signal on my new phone.",
    ),
    (
        "inquiry",
        None,
        "low",
        "延保服务包含哪些内容？",
        "想了解一下延保服务具体保什么，屏幕碎了包不包？",
        "What does the extended warranty cover?",
        "Does it cover a cracked screen?",
    ),
    (
        "inquiry",
        ("价格与账单 Billing", "发票 Invoice"),
        "normal",
        "如何开具增值税专用发票",
        "公司采购了 20 台平板，需要开专票，抬头和税号怎么提交？",
        "How do I get a VAT invoice?",
        "We bought 20 tablets and need a company invoice.",
    ),
    (
        "inquiry",
        ("账户与会员 Account", None),
        "low",
        "会员积分怎么兑换",
        "积分快过期了，可以换什么？",
        "How can I redeem my points?",
        "My member points expire soon.",
    ),
    (
        "request",
        ("售后维修 Repair", None),
        "normal",
        "预约上门维修笔记本键盘",
        "MateBook 14 有几个键失灵，能否安排上门维修？",
        "Book an on-site repair for my laptop keyboard",
        "Several keys on my MateBook 14 stopped working.",
    ),
    (
        "request",
        ("价格与账单 Billing", "退款 Refund"),
        "high",
        "七天无理由退货申请",
        "耳机收到后不太合适，想申请七天无理由退货。",
        "Return within 7 days",
        "The earbuds don't fit well; I'd like to return them.",
    ),
    (
        "request",
        ("物流配送 Delivery", "延误 Delay"),
        "normal",
        "修改收货地址",
        "订单还没发货，想把收货地址改到公司。",
        "Change my delivery address",
        "The order has not shipped yet; please deliver to my office.",
    ),
    (
        "request",
        ("产品质量 Product quality", "电池 Battery"),
        "normal",
        "电池健康度只有 78%，申请检测",
        "手机买了一年半，电池掉电很快，想去门店检测。",
        "Battery health is down to 78%",
        "My phone drains quickly after 18 months; can I get it tested?",
    ),
    (
        "complaint",
        ("物流配送 Delivery", "破损 Damaged parcel"),
        "high",
        "收到的手机屏幕碎了",
        "今天签收的 Nova 12，打开包装屏幕就是碎的，快递员不让当面验货。",
        "My new phone arrived with a cracked screen",
        "The courier would not let me check the parcel.",
    ),
    (
        "complaint",
        ("物流配送 Delivery", "延误 Delay"),
        "high",
        "承诺次日达，五天了还没到",
        "买的时候写着次日达，到现在五天了还在路上，客服一直说在查。",
        "Next-day delivery promised, five days and still nothing",
        "Every time I ask I'm told it is being checked.",
    ),
    (
        "complaint",
        ("服务态度 Service attitude", None),
        "urgent",
        "门店店员态度恶劣",
        "在线下门店咨询以旧换新，店员很不耐烦，还说我不懂就别问。",
        "Rude staff at the store",
        "The shop assistant was impatient and dismissive.",
    ),
    (
        "complaint",
        ("产品质量 Product quality", "屏幕 Screen"),
        "high",
        "Nova 12 屏幕边缘漏光",
        "新手机屏幕边缘有明显漏光，暗色背景下很明显。",
        "Light bleeding on my Nova 12 screen",
        "There is visible light bleed at the edge of the display.",
    ),
    (
        "complaint",
        ("价格与账单 Billing", "退款 Refund"),
        "normal",
        "退款两周还没到账",
        "退货已经签收两周，退款一直没到账。",
        "Refund not received after two weeks",
        "You received my return two weeks ago but I still have no refund.",
    ),
    (
        "complaint",
        ("售后维修 Repair", None),
        "high",
        "维修后问题依旧，第二次送修",
        "手表送修回来还是无法充电，这已经是第二次了。",
        "Still broken after repair",
        "The watch still won't charge; this is the second repair.",
    ),
    (
        "praise",
        ("服务态度 Service attitude", None),
        "low",
        "表扬客服李娜耐心细致",
        "李娜帮我一步步迁移数据，非常耐心，点赞！",
        "Thanks to your support team",
        "Li Na walked me through the data transfer step by step.",
    ),
    (
        "praise",
        None,
        "low",
        "建议：官网增加以旧换新估价工具",
        "希望官网能直接估算旧手机的价格。",
        "Suggestion: a trade-in price estimator",
        "It would help to see a trade-in price online.",
    ),
]
# status mix per kind: (status, complaint stage reached) with weights
STATUS_MIX = {
    "inquiry": [("new", 3), ("open", 4), ("pending", 2), ("solved", 4), ("closed", 3)],
    "request": [
        ("new", 2),
        ("open", 4),
        ("pending", 2),
        ("on_hold", 2),
        ("solved", 3),
        ("closed", 3),
    ],
    "praise": [("new", 2), ("open", 1), ("solved", 2), ("closed", 3)],
}
COMPLAINT_STAGES = [
    ("listen", "open", 2),
    ("share", "open", 2),
    ("problem", "open", 2),
    ("check", "open", 2),
    ("action", "on_hold", 1),
    ("action", "open", 2),
    ("action", "solved", 2),
    ("satisfy", "closed", 3),
    ("listen", "new", 1),
]
CHANNELS = ["phone", "email", "web", "chat", "wechat"]
TICKETS_PER_SCALE = 300
# category (its Chinese name) → root cause, resolution (zh, en) of a solved complaint
RESOLUTIONS = {
    "物流配送": (
        "快递运输损坏",
        "已为客户补发新机，并向快递公司索赔",
        "Sent a new device and claimed from the courier.",
    ),
    "服务态度": (
        "员工服务态度",
        "已向客户致歉，门店主管约谈当事店员并安排培训",
        "Apologised; the store manager coached the staff member.",
    ),
    "产品质量": ("产品缺陷", "已为客户更换新机", "Replaced the device."),
    "价格与账单": ("流程或政策问题", "已加急退款并致歉", "Refund expedited, with an apology."),
    "售后维修": ("产品缺陷", "更换主板并延长保修一年", "Replaced the board; warranty +1 year."),
}
REPLIES_ZH = [
    "您好，感谢您的耐心等待，我们已经收到您的问题，正在为您核实。",
    "非常理解您的心情，给您带来不便非常抱歉，我这边马上跟进处理。",
    "已为您登记，稍后会有同事与您电话联系，请保持电话畅通。",
    "您好，按照以下步骤操作即可：设置 → 移动网络 → SIM 卡管理，开启卡 2。",
]
REPLIES_EN = [
    "Thank you for your patience. We have received your message and are looking into it.",
    "I understand how frustrating this is, and I'm sorry. I'll follow this up personally.",
    "A colleague will call you later today; please keep your phone nearby.",
]
NOTES = [
    "已联系快递站点核实 @supervisor",
    "客户为 A 类客户，优先处理",
    "等待仓库回复库存情况",
    "客户情绪比较激动，注意沟通方式",
    "已查询订单，发货时间与系统一致",
]


def _setup(admin) -> dict:
    categories = {}
    for parent_name, children in CATEGORIES.items():
        parent, _ = Category.objects.get_or_create(name=parent_name, parent=None)
        categories[(parent_name, None)] = parent
        for child in children:
            categories[(parent_name, child)], _ = Category.objects.get_or_create(
                name=child, parent=parent
            )
    for name, description in ROOT_CAUSES:
        RootCause.objects.get_or_create(name=name, defaults={"description": description})
    for role, remedy, per_case, per_month in LIMITS:
        AuthorityLimit.objects.get_or_create(
            role=role,
            remedy=remedy,
            user=None,
            defaults={
                "per_case": Decimal(per_case),
                "per_month": Decimal(per_month) if per_month else None,
            },
        )
    for name, body, status, tags in MACROS:
        if not Macro.objects.filter(name=name).exists():
            services.macro_save(
                actor=admin,
                values={"name": name, "body": body, "set_status": status, "add_tags": tags},
            )
    return categories


def _weighted(rng, options):
    total = sum(w for *_, w in options)
    pick = rng.uniform(0, total)
    for option in options:
        pick -= option[-1]
        if pick <= 0:
            return option[:-1]
    return options[-1][:-1]


def _plan(rng, customers, scale: int, now) -> list[dict]:
    plans = []
    for index in range(TICKETS_PER_SCALE * scale):
        template = PLANS[rng.randrange(len(PLANS))]
        kind = template[0]
        if kind == "complaint":
            stage, status = _weighted(rng, COMPLAINT_STAGES)
        else:
            (status,), stage = _weighted(rng, STATUS_MIX[kind]), ""
        if status == "new":
            age_hours = rng.uniform(0.1, 6)
        elif status in ("open", "pending", "on_hold"):
            age_hours = rng.uniform(0.5, 96)
        else:
            age_hours = rng.expovariate(1 / 120)
        plans.append(
            {
                "key": f"t{index:05d}",
                "template": template,
                "customer": customers[rng.randrange(len(customers))],
                "status": status,
                "stage": stage,
                "channel": CHANNELS[rng.randrange(len(CHANNELS))],
                "created": now - dt.timedelta(hours=min(age_hours, 24 * 40)),
                "assign": rng.random() > 0.15 or status not in ("new",),
                "reply": rng.randrange(len(REPLIES_ZH)),
                "note": rng.random() < 0.4,
                "note_text": NOTES[rng.randrange(len(NOTES))],
                "agent_pick": rng.random(),
                "urgent_bump": rng.random() < 0.05,
                # Hours left on the resolution clock of an old open ticket (business hours and
                # pauses make it later than the calendar suggests); negative = breached.
                "slack": rng.uniform(-8, 40),
            }
        )
    return plans


def _reply(actor, ticket, text):
    try:
        services.message_add(actor=actor, ticket=ticket, kind="reply", body=text)
    except services.ReplyNeedsConfirmation:
        services.message_add(
            actor=actor, ticket=ticket, kind="reply", body=text, confirm_warnings=True
        )


def _fresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def _update(actor, ticket, **changes) -> Ticket:
    ticket = _fresh(ticket)
    return services.ticket_update(
        actor=actor, ticket=ticket, expected_version=ticket.version, changes=changes
    )


def _status(actor, ticket, status) -> Ticket:
    ticket = _fresh(ticket)
    if ticket.status == status:
        return ticket
    return services.ticket_transition(
        actor=actor, ticket=ticket, to_status=status, expected_version=ticket.version
    )


def _stage(actor, ticket, stage) -> Ticket:
    ticket = _fresh(ticket)
    return services.ticket_advance_stage(
        actor=actor, ticket=ticket, to_stage=stage, expected_version=ticket.version
    )


def _complaint(actor, ticket, plan, english, root_causes, rng) -> Ticket:
    """Walk a complaint through LSPCAS as far as the plan says, recording what each stage needs."""
    order = ["listen", "share", "problem", "check", "action", "satisfy"]
    target = order.index(plan["stage"])
    if plan["status"] == "new":
        return ticket
    ticket = _status(actor, ticket, "open")
    if target >= 1:
        _update(actor, ticket, problem_statement=plan["template"][4])
        ticket = _stage(actor, ticket, "share")
    if target >= 2:
        _reply(actor, ticket, REPLIES_EN[1] if english else REPLIES_ZH[1])
        ticket = _stage(actor, ticket, "problem")
    if target >= 3:
        _update(actor, ticket, problem_confirmed_by_company=True)
        ticket = _stage(actor, ticket, "check")
    if target >= 4:
        _update(actor, ticket, problem_confirmed_by_customer=True)
        ticket = _stage(actor, ticket, "action")
    if target >= 4 and plan["status"] in ("solved", "closed", "on_hold"):
        parent = (plan["template"][1] or ("",))[0]
        cause_name, resolution_zh, resolution_en = RESOLUTIONS.get(
            parent.split(" ")[0], ("产品缺陷", "已为客户更换新机并致歉", "Replaced the device.")
        )
        cause = next((c for c in root_causes if c.name.startswith(cause_name)), root_causes[0])
        _update(
            actor,
            ticket,
            response_kinds=["regret", "restitution"],
            root_cause=cause,
            resolution=resolution_en if english else resolution_zh,
        )
        services.compensation_request(
            actor=actor, ticket=_fresh(ticket), remedy="voucher", amount="50", reason="致歉补偿"
        )
    if plan["status"] == "on_hold":
        return _status(actor, ticket, "on_hold")
    if plan["status"] in ("solved", "closed"):
        ticket = _status(actor, ticket, "solved")
    if plan["status"] == "closed":
        ticket = _stage(actor, ticket, "satisfy")
        _update(actor, ticket, customer_confirmed=True)
        ticket = _status(actor, ticket, "closed")
        services.ianar_save(
            actor=actor,
            ticket=_fresh(ticket),
            values={
                "identify": plan["template"][3],
                "analyse": "运输包装不足" if rng.random() < 0.5 else "门店培训不到位",
                "negotiate": "换新 + 优惠券",
                "act": "已换新，已与快递公司索赔",
                "review": "客户满意，包装标准已更新",
            },
        )
    return ticket


def _other(actor, ticket, plan, english) -> Ticket:
    status = plan["status"]
    if status == "new":
        return ticket
    if status in ("open", "pending", "on_hold", "solved", "closed"):
        ticket = _status(actor, ticket, "open")
        _reply(
            actor, ticket, REPLIES_EN[plan["reply"] % 3] if english else REPLIES_ZH[plan["reply"]]
        )
    if status in ("pending", "on_hold"):
        ticket = _status(actor, ticket, status)
    if status in ("solved", "closed"):
        ticket = _status(actor, ticket, "solved")
    if status == "closed":
        ticket = _status(actor, ticket, "closed")
    return ticket


def _backdate(ticket: Ticket, created: dt.datetime, plan, now) -> None:
    """Shift the ticket's timeline so it starts at `created`; set the SLA due times."""
    ticket = _fresh(ticket)
    offset = ticket.created_at - created
    shifted = {
        name: F(name) - offset
        for name in (
            "created_at",
            "updated_at",
            "first_response_at",
            "last_customer_message_at",
            "last_agent_reply_at",
            "solved_at",
            "closed_at",
            "satisfaction_due_at",
        )
    }
    priority = ticket.priority
    first_hours = {"urgent": 1, "high": 2, "normal": 4, "low": 8}[priority]
    resolve_hours = {"urgent": 8, "high": 24, "normal": 48, "low": 72}[priority]
    resolution_due = created + dt.timedelta(hours=resolve_hours)
    if resolution_due < now and plan is not None:
        resolution_due = now + dt.timedelta(hours=plan["slack"])
    Ticket.objects.filter(pk=ticket.pk).update(**shifted)
    ticket_set_due_times(
        ticket=ticket,
        first_response_due_at=created + dt.timedelta(hours=first_hours),
        resolution_due_at=resolution_due,
    )
    TicketEvent.objects.filter(ticket=ticket).update(at=F("at") - offset)
    Message.objects.filter(ticket=ticket).update(
        created_at=F("created_at") - offset, updated_at=F("updated_at") - offset
    )
    ticket.compensations.update(created_at=F("created_at") - offset)


def load(*, scale: int, rng, stdout=None) -> None:
    admin = User.objects.filter(username="admin").first()
    teams = {t.name[:4]: t for t in Team.objects.prefetch_related("members")}
    if admin is None or not teams:
        return
    categories = _setup(admin)
    root_causes = list(RootCause.objects.order_by("name"))
    customers = list(
        Customer.objects.filter(kind=CustomerKind.PERSON, merged_into__isnull=True).order_by("pk")[
            : 250 * scale
        ]
    )
    if not customers:
        return
    now = timezone.now()
    plans = _plan(rng, customers, scale, now)
    portal = Customer.objects.filter(user__username="customer").first()
    if portal is not None:
        for plan in plans[:3]:
            plan["customer"] = portal
    existing = set(
        Ticket.objects.filter(custom_fields__has_key="demo").values_list(
            "custom_fields__demo", flat=True
        )
    )
    li_na = User.objects.filter(username="agent").first()
    created_count = 0
    made: dict[str, Ticket] = {}
    for plan in plans:
        if plan["key"] in existing:
            continue
        made[plan["key"]] = _make(plan, teams, categories, root_causes, li_na, rng, now)
        created_count += 1
    if created_count:
        _specials(admin, li_na, teams, plans, made, now)
    if stdout is not None:
        stdout.write(f"  tickets: {created_count} new of {len(plans)}")
    _train_suggestions(stdout)


def _train_suggestions(stdout=None) -> None:
    """Train the category/priority suggestion (M23) on the demo's solved and closed tickets,
    once: a model already trained is kept."""
    from kefu.core.errors import ValidationFailed
    from kefu.tickets.models import TrainedClassifier

    for target in ("category", "priority"):
        if TrainedClassifier.objects.filter(target=target).exists():
            continue
        try:
            row = services.classifier_train(actor=None, target=target)
        except ValidationFailed as exc:
            message = f"  suggestion ({target}): not trained, {exc.message}"
        else:
            message = f"  suggestion ({target}): trained on {row.example_count} tickets"
        if stdout is not None:
            stdout.write(message)


def _team_for(kind: str, customer, teams):
    if customer.tier == "A" and kind != "complaint":
        return teams["大客户 "]
    return {
        "inquiry": teams["售前咨询"],
        "praise": teams["售前咨询"],
        "request": teams["售后服务"],
        "complaint": teams["投诉处理"],
    }[kind]


def _make(plan, teams, categories, root_causes, li_na, rng, now) -> Ticket:
    kind, category_key, priority, zh_subject, zh_text, en_subject, en_text = plan["template"]
    customer = plan["customer"]
    english = customer.language == "en"
    team = _team_for(kind, customer, teams)
    members = [m for m in team.members.all() if m.is_active]
    agent = members[int(plan["agent_pick"] * len(members))] if members else None
    if li_na is not None and li_na in members and plan["agent_pick"] < 0.35:
        agent = li_na
    assignee = agent if plan["assign"] or plan["status"] != "new" else None
    actor = agent or team.lead
    ticket = services.ticket_create(
        actor=actor,
        customer=customer,
        subject=en_subject if english else zh_subject,
        description=en_text if english else zh_text,
        channel=plan["channel"],
        kind=kind,
        priority="urgent" if plan["urgent_bump"] else priority,
        category=categories.get(category_key) if category_key else None,
        severity="major"
        if kind == "complaint" and priority in ("high", "urgent")
        else ("minor" if kind == "complaint" else ""),
        team=team,
        assignee=assignee,
        custom_fields={"demo": plan["key"]},
        fields={"w_what": zh_text, "w_where": customer.region} if kind == "complaint" else None,
    )
    if plan["note"]:
        services.message_add(actor=actor, ticket=ticket, kind="note", body=plan["note_text"])
    if kind == "complaint":
        ticket = _complaint(actor, ticket, plan, english, root_causes, rng)
    else:
        ticket = _other(actor, ticket, plan, english)
    if plan["status"] in ("open", "new") and plan["agent_pick"] > 0.6:
        services.message_add(
            actor=None,
            ticket=_fresh(ticket),
            kind="customer",
            body="Any update, please?" if english else "请问现在处理到哪一步了？",
            channel=plan["channel"],
        )
    _backdate(ticket, plan["created"], plan, now)
    return ticket


def _specials(admin, li_na, teams, plans, made, now) -> None:
    """One compensation awaiting the supervisor, a mass incident and a problem record."""
    after_sales = teams["售后服务"]
    ticket_with_approval = None
    if li_na is not None and made:
        customer = plans[0]["customer"]
        ticket = services.ticket_create(
            actor=li_na,
            customer=customer,
            subject="耳机单边无声，要求退款并补偿",
            description="FreeBuds 左耳没有声音，已经换过一次，要求全额退款并补偿。",
            channel="phone",
            kind="complaint",
            priority="high",
            severity="major",
            team=after_sales,
            assignee=li_na,
            custom_fields={"demo": "special-approval"},
            fields={"problem_statement": "FreeBuds 左耳无声，第二次出现", "w_how_much": "799.00"},
        )
        _status(li_na, ticket, "open")
        _stage(li_na, ticket, "share")
        _reply(li_na, ticket, "非常抱歉耳机再次出现问题，我来为您跟进退款和补偿事宜。")
        ticket_with_approval = ticket
        services.compensation_request(
            actor=li_na,
            ticket=_fresh(ticket),
            remedy="refund",
            amount="799.00",
            reason="第二次出现同样故障，按规定全额退款",
        )
    # A mass incident: cloud sync outage, with affected tickets linked.
    support = teams["售前咨询"]
    lead = support.lead or admin
    incident = services.ticket_create(
        actor=lead,
        customer=plans[1]["customer"],
        subject="华信云空间同步中断（重大事件）Cloud sync outage",
        description="多位客户反映云空间照片无法同步，疑似服务端故障。",
        channel="web",
        kind="complaint",
        priority="urgent",
        severity="critical",
        team=support,
        assignee=lead,
        custom_fields={"demo": "special-incident"},
    )
    children = []
    for i, plan in enumerate(plans[10:18]):
        children.append(
            services.ticket_create(
                actor=lead,
                customer=plan["customer"],
                subject="云空间照片无法同步" if i % 3 else "Photos not syncing to cloud",
                description="从今天上午开始照片一直显示等待同步。",
                channel="chat",
                kind="inquiry",
                priority="high",
                team=support,
                custom_fields={"demo": f"special-incident-{i}"},
            )
        )
    services.incident_attach(actor=lead, incident=incident, tickets=children)
    services.incident_broadcast(
        actor=lead,
        incident=_fresh(incident),
        body="您好，云空间同步服务目前出现故障，工程师正在全力修复，预计两小时内恢复，"
        "恢复后照片会自动同步，无需重复操作。给您带来不便，非常抱歉。",
    )
    # A recurring problem behind several screen complaints.
    screen = [t for t in made.values() if "漏光" in t.subject or "light bleed" in t.description]
    if screen:
        services.problem_create(
            actor=admin,
            title="Nova 12 第 23 批次屏幕边缘漏光",
            tickets=screen[:6],
            root_cause=RootCause.objects.filter(name__startswith="产品缺陷").first(),
            root_cause_detail="供应商 B 的背光模组胶条偏移",
            workaround="门店免费更换屏幕",
            standard_fix="召回该批次并更换模组",
        )
    for ticket in [incident, *children]:
        _backdate(ticket, now - dt.timedelta(hours=3), None, now)
    if ticket_with_approval is not None:
        _backdate(ticket_with_approval, now - dt.timedelta(hours=5), None, now)
