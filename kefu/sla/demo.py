"""Demo service commitments of 华信电子 Huaxin Electronics: a China business calendar with the
2026 public holidays and make-up working days (调休), a 24×7 calendar, policies per priority and
for tier-A customers, escalation rules; then clocks for the demo tickets (rebuilt from their
events and messages).

Idempotent: calendars, policies and rules are keyed by name; tickets that already have SLA
clocks are left alone.
"""

from __future__ import annotations

from kefu.sla import services
from kefu.sla.models import BusinessCalendar, EscalationRule, SlaPolicy

OFFICE = "中国大陆工作日 China business days"
ALWAYS = "7×24 小时 Around the clock"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
SPANS = [["09:00", "12:00"], ["13:30", "18:00"]]

# The State Council's 2026 arrangement: days off, and weekend days worked instead (调休上班).
HOLIDAYS_2026 = [
    "2026-01-01", "2026-01-02", "2026-01-03",  # 元旦 New Year
    "2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
    "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23",  # 春节 Spring Festival
    "2026-04-04", "2026-04-05", "2026-04-06",  # 清明节 Qingming
    "2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05",  # 劳动节 Labour Day
    "2026-06-19", "2026-06-20", "2026-06-21",  # 端午节 Dragon Boat
    "2026-09-25", "2026-09-26", "2026-09-27",  # 中秋节 Mid-Autumn
    "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04",
    "2026-10-05", "2026-10-06", "2026-10-07",  # 国庆节 National Day
]  # fmt: skip
MAKEUP_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]

STATUS_MESSAGE = (
    "{customer_name}您好，您的请求 {ticket_id} 我们已经收到，正在处理中，会尽快回复您。"
    "感谢您的耐心等待。\n"
    "Hello {customer_name}, we have your request {ticket_id} and are working on it. "
    "Thank you for your patience."
)

# name, conditions, targets (minutes; business time unless noted), extra
POLICIES = [
    (
        "A 级客户 Tier A customers",
        {"tiers": ["A"]},
        {
            "first_response_minutes": 30,
            "next_response_minutes": 60,
            "resolution_minutes": 8 * 60,
            "onsite_minutes": 24 * 60,
            "onsite_business": False,
        },
        OFFICE,
    ),
    (
        "紧急 Urgent",
        {"priorities": ["urgent"]},
        {
            "first_response_minutes": 30,
            "first_response_business": False,
            "resolution_minutes": 4 * 60,
            "resolution_business": False,
        },
        ALWAYS,
    ),
    (
        "高 High",
        {"priorities": ["high"]},
        {"first_response_minutes": 60, "next_response_minutes": 120, "resolution_minutes": 16 * 60},
        OFFICE,
    ),
    (
        "标准 Standard",
        {},
        {
            "first_response_minutes": 4 * 60,
            "next_response_minutes": 8 * 60,
            "resolution_minutes": 5 * 450,
            "status_message_after_minutes": 120,
            "status_message_template": STATUS_MESSAGE,
        },
        OFFICE,
    ),
]
RULES = [
    ("首次响应 75% 提醒处理人 Warn assignee at 75%", "first_response", 75, "notify_assignee", ""),
    ("首次响应超时通知组长 Tell the lead on breach", "first_response", None, "notify_lead", ""),
    ("解决用时 90% 加标签 Tag at 90%", "resolution", 90, "add_tag", "sla-risk"),
    ("解决超时提升优先级 Raise priority on breach", "resolution", None, "raise_priority", ""),
]


def load(*, scale: int = 1, rng=None, stdout=None) -> None:
    calendars = {}
    for name, data in (
        (
            OFFICE,
            {
                "timezone": "Asia/Shanghai",
                "weekly": {day: SPANS for day in WEEKDAYS},
                "holidays": HOLIDAYS_2026,
                "makeup_days": MAKEUP_2026,
            },
        ),
        (ALWAYS, {"timezone": "Asia/Shanghai", "always_open": True}),
    ):
        calendars[name] = BusinessCalendar.objects.filter(name=name).first() or (
            services.calendar_create(actor=None, name=name, **data)
        )
    for name, conditions, targets, calendar in POLICIES:
        if not SlaPolicy.objects.filter(name=name).exists():
            services.policy_create(
                actor=None, name=name, calendar=calendars[calendar], **conditions, **targets
            )
    for name, target, percent, action, tag in RULES:
        if not EscalationRule.objects.filter(name=name).exists():
            services.rule_create(
                actor=None, name=name, target=target, at_percent=percent, action=action, tag=tag
            )
    from kefu.tickets.models import Ticket

    tickets = list(Ticket.objects.select_related("customer").filter(sla__isnull=True))
    count = services.sla_backfill(tickets=tickets)
    if stdout is not None:
        stdout.write(f"sla: {len(calendars)} calendars, {len(POLICIES)} policies, {count} tickets")
