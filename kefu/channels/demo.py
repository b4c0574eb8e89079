"""Demo channels for 华信电子: a support mailbox with received mail (the test corpus plus a
few customer emails), call records from the phone system and a webhook to a CRM.

Idempotent: mail is keyed by Message-ID, calls by external id, the rest by name.
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from django.utils import timezone

from kefu.channels import services
from kefu.channels.models import CallRecord, Mailbox, WebhookSubscription

CORPUS = Path(__file__).parent / "tests" / "emails"
QUEUES = ["售前咨询", "售后服务", "投诉热线"]
CUSTOMER_MAILS = [
    (
        "陈静 <chenjing@example.cn>",
        "耳机左声道没有声音",
        "上周买的蓝牙耳机左边没有声音，能换货吗？",
    ),
    (
        "刘洋 <liuyang@example.cn>",
        "发票抬头开错了",
        "订单 HX20261108 的发票抬头应为公司名称，请重开。",
    ),
    ("Zhou Min <zhou.min@example.com>", "Charger overheating", "The 65 W charger gets very hot."),
    ("黄磊 <huanglei@example.cn>", "安装师傅迟到两个小时", "约好上午十点上门安装，十二点才到。"),
]


def _mail(index: int, sender: str, subject: str, body: str, at: dt.datetime) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "service@huaxin.example", subject
    msg["Message-ID"] = f"<demo.{index}@mail.example.cn>"
    msg["Date"] = format_datetime(at)
    msg.set_content(body)
    return bytes(msg)


def load(*, scale: int, rng, stdout=None) -> None:
    from kefu.accounts.models import Team

    mailbox = Mailbox.objects.filter(name="华信客服邮箱").first()
    if mailbox is None:
        mailbox = services.mailbox_save(
            actor=None,
            data={
                "name": "华信客服邮箱",
                "address": "service@huaxin.example",
                "imap_host": "imap.huaxin.example",
                "imap_port": 993,
                "imap_ssl": True,
                "imap_user": "service",
                "password_env": "KEFU_IMAP_PASSWORD",
                "folder": "INBOX",
                "team": Team.objects.order_by("id").first(),
                "is_active": False,  # no real server behind the demo address
            },
        )
    if not WebhookSubscription.objects.filter(name="CRM").exists():
        services.webhook_subscription_save(
            actor=None,
            data={
                "name": "CRM",
                "url": "http://127.0.0.1:9/kefu-hook",
                "events": ["ticket.created", "ticket.solved"],
            },
        )
    for path in sorted(CORPUS.glob("*.eml")):
        services.email_ingest(path.read_bytes())
    now = timezone.now()
    for index, (sender, subject, body) in enumerate(CUSTOMER_MAILS):
        at = now - dt.timedelta(hours=3 * index + 1)
        services.email_ingest(
            _mail(index, sender, subject, body, at), mailbox=mailbox, uid=index + 1
        )
    _calls(scale=scale, rng=rng, now=now)
    _reply(mailbox)
    if stdout is not None:
        stdout.write(f"channels: {CallRecord.objects.count()} call records, mailbox {mailbox.name}")


def _calls(*, scale: int, rng, now: dt.datetime) -> None:
    from kefu.accounts.models import User

    agents = list(
        User.objects.filter(groups__name="agent", is_active=True).values_list("username", flat=True)
    )[:6]
    for index in range(40 * scale):
        offered = now - dt.timedelta(minutes=rng.randint(5, 60 * 24 * 5))
        wait = round(rng.expovariate(1 / 25), 1)
        abandoned = rng.random() < 0.08 + (0.1 if wait > 60 else 0)
        talk = round(rng.gammavariate(2.0, 110), 1)
        services.call_record_ingest(
            actor=None,
            external_id=f"demo-call-{index:05d}",
            caller_number=f"+86139{rng.randint(10_000_000, 99_999_999)}",
            offered_at=offered,
            answered_at=None if abandoned else offered + dt.timedelta(seconds=wait),
            ended_at=offered + dt.timedelta(seconds=wait + (0 if abandoned else talk)),
            wrap_up_seconds=0 if abandoned else round(rng.uniform(10, 90), 1),
            queue_name=rng.choice(QUEUES),
            agent="" if abandoned or not agents else rng.choice(agents),
            disposition="" if abandoned else rng.choice(["已解决", "需回访", "转工单"]),
            create_ticket=not abandoned and index % 5 == 0,
        )


def _reply(mailbox: Mailbox) -> None:
    """One agent reply by email, so the outbound queue shows a real send (or its failure)."""
    from kefu.channels.models import InboundEmail, OutboundEmail
    from kefu.tickets import services as tickets_services

    if OutboundEmail.objects.exists():
        return
    inbound = InboundEmail.objects.filter(mailbox=mailbox, ticket__isnull=False).first()
    if inbound is None:
        return
    tickets_services.message_add(
        actor=None,
        ticket=inbound.ticket,
        kind="reply",
        body="您好，已为您安排换货，新耳机将于明天发出。",
        confirm_warnings=True,
    )
