"""strip_quoted_reply: English and Chinese client markers, ">" quotes, signatures, properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.channels.mail import strip_quoted_reply

CASES = {
    "gmail_en": (
        "Thanks, it works now.\n\nOn Mon, 3 Jun 2026 at 10:00, Kefu Support "
        "<support@kefu.example> wrote:\n> Please restart the router.\n> Regards",
        "Thanks, it works now.",
    ),
    "gmail_en_wrapped_attribution": (
        "Fine by me.\n\nOn Mon, 3 Jun 2026 at 10:00, Kefu Support Team of Example Ltd\n"
        "<support@kefu.example> wrote:\n\n> old text",
        "Fine by me.",
    ),
    "gmail_html_rendered_without_quote_marks": (
        "Yes please.\nOn Tue, Jun 2, 2026 at 9:12 AM Li Hua <li@example.cn> wrote:\nOld text",
        "Yes please.",
    ),
    "outlook_original_message": (
        "Please call me back.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nOld",
        "Please call me back.",
    ),
    "outlook_header_block": (
        "See attached.\n\nFrom: Kefu Support <support@kefu.example>\n"
        "Sent: Monday, June 1, 2026 10:00 AM\nTo: Bob <bob@example.net>\n"
        "Subject: RE: [KF-2026-000001] Order\n\nOld reply",
        "See attached.",
    ),
    "outlook_underscore_rule": (
        "OK.\n\n________________________________\nFrom: Support <support@kefu.example>\n"
        "Sent: 1 June 2026 10:00\nOld",
        "OK.",
    ),
    "from_sent_on_one_line": (
        "Agreed.\nFrom: Kefu Support Sent: Monday, June 1, 2026 10:00 To: Bob Subject: Re: x\nOld",
        "Agreed.",
    ),
    "apple_mail_cn": (
        "好的，谢谢。\n\n在 2026年6月3日，上午10:00，客服中心 <support@kefu.example> 写道：\n\n"
        "> 您好，请提供订单号。",
        "好的，谢谢。",
    ),
    "apple_mail_cn_no_quote_marks": (
        "收到。\n在 2026年6月3日 10:00，客服中心 写道：\n您好，请提供订单号。",
        "收到。",
    ),
    "gmail_cn": (
        "订单号是 A1009。\n\n客服中心 <support@kefu.example> 于2026年6月3日周三 上午10:00写道：\n"
        "> 请提供订单号",
        "订单号是 A1009。",
    ),
    "qq_mail": (
        "已收到，谢谢！\n\n\n------------------ 原始邮件 ------------------\n"
        '发件人: "客服中心"<support@kefu.example>;\n发送时间: 2026年6月3日(星期三) 上午10:00\n'
        '收件人: "张三"<zhangsan@qq.com>;\n主题: 退款进度\n\n您好，退款已处理。',
        "已收到，谢谢！",
    ),
    "outlook_cn_original": (
        "请尽快处理。\n\n-----原始邮件-----\n发件人: 客服中心\n"
        "发送时间: 2026年6月3日 10:00\n旧内容",
        "请尽快处理。",
    ),
    "outlook_cn_mail_original": (
        "附件已更新。\n\n-----邮件原件-----\n发件人: 客服中心\n旧内容",
        "附件已更新。",
    ),
    "outlook_cn_header_block": (
        "明天可以。\n\n发件人：客服中心 <support@kefu.example>\n发送时间：2026年6月3日 10:00\n"
        "收件人：张三\n主题：回复：预约上门\n\n旧内容",
        "明天可以。",
    ),
    "foxmail_header_block": (
        "谢谢\n\n\n\n发件人： 客服中心\n发送时间： 2026-06-03 10:00\n"
        "收件人： 张三\n主题： 回复\n\n旧",
        "谢谢",
    ),
    "signature_delimiter": (
        "The invoice number is 4711.\n\n-- \nBob Smith\nHead of Purchasing",
        "The invoice number is 4711.",
    ),
    "mobile_signature_en": ("Call me at 5pm.\n\nSent from my iPhone", "Call me at 5pm."),
    "mobile_signature_cn": ("下午五点给我打电话。\n\n发自我的iPhone", "下午五点给我打电话。"),
    "bottom_posting_keeps_new_text": (
        "On Mon, 3 Jun 2026 at 10:00, Support <s@kefu.example> wrote:\n> Is it fixed?\n\n"
        "Yes, it is fixed.",
        "Yes, it is fixed.",
    ),
    "inline_answers_keep_answers": (
        "> Which model?\nX200\n> Which colour?\nRed",
        "X200\nRed",
    ),
    "crlf_line_endings": ("Done.\r\n\r\n> old\r\n> older", "Done."),
    "no_markers_unchanged": (
        "Line one\n\nLine two\n   indented",
        "Line one\n\nLine two\n   indented",
    ),
}


@pytest.mark.parametrize(("text", "expected"), CASES.values(), ids=CASES.keys())
def test_strip_quoted_reply(text, expected):
    assert strip_quoted_reply(text) == expected


def test_words_like_from_in_normal_text_are_kept():
    text = "From: the warehouse we got a call.\nPlease check stock."
    assert strip_quoted_reply(text) == text


def test_on_wrote_in_the_middle_of_a_sentence_is_kept():
    text = "On Monday my wife wrote: please cancel the order.\nThanks"
    # A line that ends with "wrote:" is an attribution, this one does not end there.
    assert strip_quoted_reply(text) == text


def _normalised(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


@settings(deadline=None)  # a property, not a timing test (the machine is shared)
@given(st.text())
def test_output_lines_come_from_the_input_in_order(text):
    result = strip_quoted_reply(text)
    remaining = iter(_normalised(text))
    for line in result.split("\n") if result else []:
        assert any(line == candidate for candidate in remaining)


_PLAIN = st.text(alphabet=st.characters(categories=["L", "N", "Zs"], exclude_characters="\n\r"))


@settings(deadline=None)  # a property, not a timing test (the machine is shared)
@given(st.lists(_PLAIN, max_size=12))
def test_text_without_markers_only_loses_surrounding_blank_lines(lines):
    # Letters, digits and spaces cannot form a marker: ":" "-" ">" "_" are all missing.
    text = "\n".join(lines)
    assert strip_quoted_reply(text) == "\n".join(_normalised(text))
