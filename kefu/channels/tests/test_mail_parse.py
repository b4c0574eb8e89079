"""parse_message over the .eml corpus in tests/emails and over fuzzed bytes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.channels.mail import (
    MailAddress,
    MailParseError,
    MessageKind,
    ParsedMessage,
    parse_message,
    rewrite_cid_references,
)

EMAILS = Path(__file__).parent / "emails"
CORPUS = sorted(EMAILS.glob("*.eml"))


def load(name: str) -> ParsedMessage:
    return parse_message((EMAILS / name).read_bytes())


def test_plain_utf8_subject_body_addresses_and_date():
    parsed = load("plain_utf8.eml")
    assert parsed.subject == "订单未发货 #A1009"
    assert parsed.from_address == "xiaoming.wang@example.cn"
    assert parsed.from_name == "王小明"
    assert parsed.to == (MailAddress("Kefu Support", "support@kefu.example"),)
    assert parsed.cc == (
        MailAddress("Li, Hua", "li.hua@example.cn"),
        MailAddress("", "ops@example.cn"),
    )
    assert parsed.date == datetime(2026, 6, 3, 1, 15, 27, tzinfo=UTC)
    assert parsed.text.startswith("您好，\n\n我在 6 月 1 日下的订单 #A1009 还没有发货")
    assert parsed.message_id == "CAF=plain.0001@mail.example.cn"
    assert not parsed.message_id_synthesised
    assert parsed.html == ""
    assert parsed.kind is MessageKind.NORMAL


def test_gb2312_label_decodes_gbk_body_and_split_gbk_subject():
    parsed = load("gb2312_body_gbk_subject.eml")
    # 镕 is in GBK but not in GB2312: the label is widened to GB18030.
    assert parsed.subject == "关于朱镕基纪念品的投诉"
    assert parsed.from_name == "李雷"
    assert "我收到的朱镕基纪念品有破损" in parsed.text
    assert "\ufffd" not in parsed.text + parsed.subject


def test_big5_subject_and_body():
    parsed = load("big5.eml")
    assert parsed.subject == "訂單查詢"
    assert parsed.from_name == "陳大文"
    assert parsed.text == "您好，我的訂單還沒有收到，請問何時出貨？\n\n陳大文"


def test_html_only_is_sanitised_and_rendered_to_text():
    parsed = load("html_only_script.eml")
    lowered = parsed.html.lower()
    for forbidden in ("<script", "onclick", "onmouseover", "onerror", "javascript:", "<iframe"):
        assert forbidden not in lowered
    assert "document.cookie" not in parsed.html
    assert 'href="https://shop.example/orders/42"' in parsed.html
    assert "Hidden title" not in parsed.text
    assert parsed.text == (
        "Hello, my invoice is wrong.\nclick me or order 42\n- Item one\n- Item two & more"
    )


def test_multipart_alternative_keeps_both_bodies():
    parsed = load("alternative.eml")
    assert parsed.text == "I asked for a password reset three times but no mail arrives."
    assert "<b>three times</b>" in parsed.html
    assert parsed.attachments == ()


def test_mixed_attachments_names_sizes_and_traversal():
    parsed = load("mixed_pdf_rfc2231.eml")
    assert parsed.subject == "发票附件"
    assert parsed.text == "附件是发票明细，请查收。"
    names = [item.filename for item in parsed.attachments]
    assert names == ["发票明细.pdf", "报价单.docx", "passwd"]
    pdf, docx, passwd = parsed.attachments
    expected_pdf = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    assert pdf.payload == expected_pdf * 20
    assert pdf.size == len(expected_pdf) * 20 == 1540
    assert pdf.content_type == "application/pdf"
    assert not pdf.is_inline
    assert docx.size == 130 and docx.payload.startswith(b"PK\x03\x04")
    assert passwd.payload.startswith(b"root:x:0:0")
    assert "/" not in passwd.filename and ".." not in passwd.filename


def test_inline_image_keeps_cid_and_maps_it():
    parsed = load("inline_image_cid.eml")
    assert 'src="cid:screen-crack@example.com"' in parsed.html
    (image,) = parsed.attachments
    assert image.filename == "crack.png"
    assert image.content_type == "image/png"
    assert image.is_inline
    assert image.size == 70 and image.payload.startswith(b"\x89PNG")
    assert parsed.inline_images == {"screen-crack@example.com": image}
    served = rewrite_cid_references(parsed.html, {"screen-crack@example.com": "/files/9"})
    assert 'src="/files/9"' in served


def test_gmail_reply_strips_quote_and_reads_threading_headers():
    parsed = load("reply_gmail_en.eml")
    assert parsed.new_text == "Thanks, the parcel arrived today.\n\nAlice"
    assert "Your parcel is on its way." in parsed.text
    assert parsed.in_reply_to == "kf.2026.000123.2@kefu.example"
    assert parsed.references == (
        "CAJ+first.41@mail.gmail.com",
        "kf.2026.000123.1@kefu.example",
        "kf.2026.000123.2@kefu.example",
    )
    assert parsed.date == datetime(2026, 6, 9, 17, 20, tzinfo=UTC)


def test_qq_mail_reply_strips_chinese_history():
    parsed = load("reply_qq_cn.eml")
    assert parsed.subject == "回复：[KF-2026-000456] 退款进度"
    assert parsed.from_name == "张三"
    assert parsed.to == (MailAddress("客服中心", "support@kefu.example"),)
    assert parsed.new_text == "好的，已经收到退款，谢谢！"
    assert "退款已处理" in parsed.text


def test_missing_message_id_is_synthesised_deterministically():
    raw = (EMAILS / "no_message_id.eml").read_bytes()
    first, second = parse_message(raw), parse_message(raw)
    assert first.message_id_synthesised
    assert first.message_id == second.message_id
    assert hashlib.sha256(raw).hexdigest()[:40] in first.message_id
    other = parse_message(raw.replace(b"ERP export", b"ERP import"))
    assert other.message_id != first.message_id


def test_garbage_file_raises_mail_parse_error_with_reason():
    with pytest.raises(MailParseError) as caught:
        load("malformed_garbage.eml")
    assert "no mail headers" in caught.value.reason.lower()


@pytest.mark.parametrize("raw", [b"", b"   \r\n", "not bytes"])
def test_empty_or_non_bytes_input_is_rejected(raw):
    with pytest.raises(MailParseError):
        parse_message(raw)


def test_size_limit():
    with pytest.raises(MailParseError, match="larger"):
        parse_message(b"From: a@b.example\n\n" + b"x" * 100, max_bytes=50)


def test_truncated_multipart_with_wrong_charset_labels_still_parses():
    parsed = load("truncated_wrong_charset.eml")
    # Unknown charset label in the subject, UTF-8 body labelled iso-8859-1.
    assert parsed.subject == "发票抬头错误"
    assert parsed.text == "发票抬头写错了，请重开。"
    assert parsed.attachments[0].filename == "invoice.pdf"
    assert "CloseBoundaryNotFoundDefect" in parsed.defects


def test_dates_are_utc_or_none():
    base = b"From: a@b.example\nSubject: x\n"
    naive = parse_message(base + b"Date: Wed, 03 Jun 2026 09:15:27 -0000\n\nbody")
    assert naive.date == datetime(2026, 6, 3, 9, 15, 27, tzinfo=UTC)
    assert parse_message(base + b"Date: yesterday-ish\n\nbody").date is None
    assert parse_message(base + b"\nbody").date is None


def test_raw_8bit_gbk_headers_and_rfc2047_filename_without_quotes():
    raw = (
        b"From: \xd5\xc5\xc8\xfd <zs@example.cn>\r\nSubject: \xb6\xa9\xb5\xa5\xce\xca\xcc\xe2\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: text/plain; charset=gbk\r\n\r\n\xc4\xe3\xba\xc3\r\n--b\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment; filename==?UTF-8?B?5ZCI5ZCMLnppcA==?=\r\n\r\n"
        b"ZIPDATA\r\n--b--\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.from_name == "张三"
    assert parsed.subject == "订单问题"
    assert parsed.text == "你好"
    assert parsed.attachments[0].filename == "合同.zip"


def test_embedded_message_becomes_eml_attachment():
    raw = (
        b"From: fwd@example.com\r\nSubject: Fwd: complaint\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: text/plain\r\n\r\n"
        b"See below.\r\n--z\r\nContent-Type: message/rfc822\r\n\r\nFrom: orig@example.com\r\n"
        b"Subject: original\r\n\r\nOriginal body.\r\n--z--\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.text == "See below."
    (attached,) = parsed.attachments
    assert attached.filename == "message.eml"
    assert b"Original body." in attached.payload


@pytest.mark.parametrize("path", CORPUS, ids=[path.name for path in CORPUS])
def test_every_corpus_file_parses_or_raises_mail_parse_error(path):
    try:
        parsed = parse_message(path.read_bytes())
    except MailParseError:
        assert path.name.startswith("malformed")
        return
    assert parsed.message_id
    assert parsed.date is None or parsed.date.tzinfo == UTC
    for item in parsed.attachments:
        assert item.size == len(item.payload)
        assert not any(bad in item.filename for bad in ("/", "\\", ".."))


def _parse_or_error(raw: bytes) -> None:
    try:
        parsed = parse_message(raw)
    except MailParseError as error:
        assert error.reason
        return
    assert isinstance(parsed, ParsedMessage)
    assert isinstance(parsed.text, str) and isinstance(parsed.subject, str)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_fuzz_random_bytes_only_raise_mail_parse_error(raw):
    _parse_or_error(raw)


_HEADER_LINES = st.sampled_from(
    [
        b"From: =?gb2312?B?1cXI/Q==?= <a@b.cn>\r\n",
        b"Subject: =?utf-8?Q?=E4=BD?= =?bogus?B?!!?=\r\n",
        b'Content-Type: multipart/mixed; boundary="b"\r\n',
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n",
        b"Content-Type: text/plain; charset=x-unknown\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Disposition: attachment; filename*0*=gb2312''%D6; filename*1*=%D0\r\n",
        b"Date: Mon, 99 Foo 20260 99:99:99 +9999\r\n",
        b"Message-ID: <<>>\r\n",
        b"References: <a@b> junk <c@d\r\n",
        b"To: undisclosed-recipients:;\r\n",
    ]
)
_BODY_CHUNKS = st.sampled_from(
    [
        b"--b\r\nContent-Type: text/html\r\n\r\n<script>x</script><p onclick=1>hi",
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822;\r\n",
        b"--b\r\nContent-Type: message/rfc822\r\n\r\n",
        b"--b\r\nContent-Type: image/png\r\nContent-ID: <>\r\n\r\n====",
        b"\r\n--b--\r\n",
        b"\xff\xfe\x00",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_HEADER_LINES, max_size=8), st.lists(_BODY_CHUNKS, max_size=8), st.binary())
def test_fuzz_mail_shaped_bytes_only_raise_mail_parse_error(headers, chunks, noise):
    _parse_or_error(b"".join(headers) + b"\r\n" + b"".join(chunks) + noise)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(CORPUS),
    st.integers(min_value=0, max_value=4000),
    st.binary(min_size=1, max_size=8),
)
def test_fuzz_truncated_and_corrupted_corpus_only_raise_mail_parse_error(path, cut, noise):
    raw = path.read_bytes()
    position = cut % (len(raw) + 1)
    _parse_or_error(raw[:position])
    _parse_or_error(raw[:position] + noise + raw[position + len(noise) :])


@pytest.mark.parametrize(
    "html",
    [
        # Gmail: attribution div followed by a blockquote.
        '<div dir="ltr">Works now, thanks!</div><br><div class="gmail_quote">'
        '<div class="gmail_attr">On Mon, 8 Jun 2026 at 10:00, Support &lt;s@kefu.example&gt; '
        "wrote:<br></div><blockquote>Please restart.</blockquote></div>",
        # Outlook desktop: a bordered div holding a From/Sent/To/Subject block.
        "<div><p>Works now, thanks!</p><div style='border-top:solid #E1E1E1 1.0pt'>"
        "<p><b>From:</b> Support &lt;s@kefu.example&gt;<br><b>Sent:</b> Monday, 8 June 2026"
        "<br><b>To:</b> Bob<br><b>Subject:</b> RE: x</p></div><p>Please restart.</p></div>",
        # QQ Mail HTML: separator line with non-breaking spaces.
        "<div>Works now, thanks!</div><div><br></div><div>------------------&nbsp;原始邮件"
        "&nbsp;------------------</div><div><b>发件人:</b>&nbsp;Support</div>"
        "<div><b>发送时间:</b>&nbsp;2026年6月8日</div><div>Please restart.</div>",
    ],
)
def test_html_only_replies_are_stripped_after_rendering(html):
    raw = (
        "From: bob@example.net\r\nSubject: Re: x\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n" + html
    ).encode()
    parsed = parse_message(raw)
    assert "Please restart." in parsed.text
    assert parsed.new_text == "Works now, thanks!"


def test_deeply_nested_multiparts_are_refused_with_a_reason():
    nested = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (level, level)
        for level in range(200)
    )
    with pytest.raises(MailParseError, match="nested too deeply"):
        parse_message(b"From: a@b.example\r\n" + nested + b"\r\nx")
