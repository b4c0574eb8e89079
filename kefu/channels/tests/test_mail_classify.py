"""classify_message: auto-replies (RFC 3834) and bounces (RFC 3464) on corpus and built mail."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.channels.mail import (
    MessageKind,
    classify_message,
    explain_classification,
    parse_message,
)

EMAILS = Path(__file__).parent / "emails"


def build(subject: str = "Question", sender: str = "bob@example.net", **headers: str) -> bytes:
    lines = [f"From: {sender}", "To: support@kefu.example", f"Subject: {subject}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\nHello\r\n").encode("utf-8")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("plain_utf8.eml", MessageKind.NORMAL),
        ("reply_gmail_en.eml", MessageKind.NORMAL),
        ("reply_qq_cn.eml", MessageKind.NORMAL),
        ("autoreply_outlook.eml", MessageKind.AUTO_REPLY),
        ("autoreply_exchange_cn.eml", MessageKind.AUTO_REPLY),
        ("bounce_postfix.eml", MessageKind.BOUNCE),
        ("bounce_qq_plain.eml", MessageKind.BOUNCE),
    ],
)
def test_corpus_kinds(name, kind):
    parsed = parse_message((EMAILS / name).read_bytes())
    assert parsed.kind is kind
    assert classify_message(parsed) is kind


def test_postfix_bounce_details_from_delivery_status():
    parsed = parse_message((EMAILS / "bounce_postfix.eml").read_bytes())
    assert explain_classification(parsed)[1].startswith("multipart/report")
    assert parsed.bounced_message_id == "kf.2026.000321.3@kefu.example"
    assert parsed.bounced_recipients == ("nobody@gone.example",)
    assert parsed.bounce_status == "5.1.1"
    assert parsed.return_path_is_null
    assert parsed.attachments[0].filename == "original-headers.txt"


def test_plain_text_bounce_details_are_guessed_from_the_body():
    parsed = parse_message((EMAILS / "bounce_qq_plain.eml").read_bytes())
    assert parsed.subject == "退信"
    assert parsed.bounced_message_id == "kf.2026.000654.2@kefu.example"
    assert parsed.bounced_recipients == ("lost.user@qq.com",)


def test_auto_reply_in_exchange_cn_is_found_by_subject_alone():
    parsed = parse_message((EMAILS / "autoreply_exchange_cn.eml").read_bytes())
    assert parsed.subject == "自动回复: 合同续签"
    assert parsed.header("auto-submitted") is None
    assert explain_classification(parsed)[1] == "auto-reply subject"


@pytest.mark.parametrize(
    "raw",
    [
        build(Auto_Submitted="auto-replied"),
        build(Auto_Submitted="auto-generated"),
        build(X_Autoreply="yes"),
        build(X_Autorespond="Thank you for your mail"),
        build(Precedence="bulk"),
        build(Precedence="junk"),
        build(Precedence="auto_reply"),
        build(Return_Path="<>"),
        build("Out of Office: Question"),
        build("Automatic reply: Question"),
        build("Auto-Reply: your ticket"),
        build("自动回复：关于订单"),
        build("自動回覆: 訂單"),
        build("休假：6月1日至6月7日"),
        build("RE: 休假自动回复"),
        build("Question (Out of Office)"),
        build("Re: [KF-2026-000001] x", X_Kefu_Ticket="KF-2026-000001"),  # mail loop guard
    ],
)
def test_auto_reply_signals(raw):
    assert classify_message(parse_message(raw)) is MessageKind.AUTO_REPLY


@pytest.mark.parametrize(
    "raw",
    [
        build(sender="MAILER-DAEMON@mx.example.net", subject="Mail delivery failed"),
        build(sender="postmaster@163.com", subject="系统退信"),
        build(X_Failed_Recipients="gone@example.org", subject="Mail delivery failed"),
        build("Delivery Status Notification (Failure)", Auto_Submitted="auto-replied"),
        build("Undeliverable: Your refund", Return_Path="<>"),
        build("退信通知", Auto_Submitted="auto-generated"),
    ],
)
def test_bounce_signals(raw):
    assert classify_message(parse_message(raw)) is MessageKind.BOUNCE


@pytest.mark.parametrize(
    "raw",
    [
        build(Auto_Submitted="no"),
        build(X_Autoreply="no"),
        build(Precedence="list"),
        build("休假期间的订单能发货吗"),
        build("Re: 退信问题怎么处理"),
        build("Question about out of office hours support"),
        build("Re: Undeliverable parcel, please help"),
    ],
)
def test_customer_mail_that_only_mentions_the_words_is_normal(raw):
    assert classify_message(parse_message(raw)) is MessageKind.NORMAL


def test_read_receipt_is_an_auto_reply():
    raw = (
        b"From: bob@example.net\r\nSubject: Read: Question\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/report; report-type=disposition-notification; boundary=r\r\n"
        b"\r\n--r\r\nContent-Type: text/plain\r\n\r\nYour message was read.\r\n--r--\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.report_type == "disposition-notification"
    assert classify_message(parsed) is MessageKind.AUTO_REPLY


def test_normal_mail_has_no_bounce_details():
    parsed = parse_message(build(X_Failed_Recipients=""))
    assert parsed.kind is MessageKind.NORMAL
    assert parsed.bounced_message_id is None and parsed.bounced_recipients == ()
