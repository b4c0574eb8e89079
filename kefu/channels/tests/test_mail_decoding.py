"""Charset decoding (RFC 2047 words, mislabelled bodies), filenames, and HTML rendering."""

from __future__ import annotations

import base64
from email.header import Header

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.channels.mail import html_to_text, sanitise_filename, sanitise_html
from kefu.channels.mail.charsets import decode_bytes, decode_header_text, resolve_codec


def b_word(data: bytes, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?GB2312?B?1tDOxA==?=", "中文"),
        ("=?gbk?b?1tDOxA==?=", "中文"),
        ("=?GB18030?B?1tDOxA==?=", "中文"),
        ("=?big5?B?pKSk5Q==?=", "中文"),
        ("=?UTF-8?Q?=E4=B8=AD=E6=96=87_ok?=", "中文 ok"),
        ("=?utf-8?q?a?= =?utf-8?q?b?=", "ab"),  # whitespace between words is dropped
        ("Re: =?utf-8?B?5Lit5paH?= now", "Re: 中文 now"),
        ("=?utf-8*zh-CN?B?5Lit5paH?=", "中文"),  # RFC 2231 language suffix
        ("=?x-unknown?B?5Lit5paH?=", "中文"),  # unknown label: UTF-8 fallback
        ("=?gb2312?B?5Lit5paH?=", "中文"),  # UTF-8 bytes mislabelled gb2312
        ("=?utf-8?B?###?=", "=?utf-8?B?###?="),  # undecodable word kept verbatim
        ("plain\r\n folded", "plain folded"),
        ("=?utf-8?Q?line=0Abreak?=", "line break"),  # no header injection via CR/LF
    ],
)
def test_decode_header_text(raw, expected):
    assert decode_header_text(raw) == expected


def test_gbk_character_split_between_two_encoded_words():
    data = "朱镕基".encode("gbk")  # 镕 is GBK-only, so a gb2312 label must be widened
    raw = b_word(data[:3], "gb2312") + "\r\n " + b_word(data[3:], "gb2312")
    assert decode_header_text(raw) == "朱镕基"


@settings(deadline=None)  # a property, not a timing test (the machine is shared)
@given(st.text(st.characters(exclude_categories=["Cc", "Cs"]), min_size=1, max_size=60))
def test_stdlib_encoded_headers_round_trip(text):
    text = " ".join(text.split())  # header values are single-spaced lines
    if not text:
        return
    encoded = Header(text, "utf-8").encode()
    assert decode_header_text(encoded) == text


@pytest.mark.parametrize(
    ("data", "label", "expected"),
    [
        ("镕".encode("gbk"), "gb2312", "镕"),
        ("中文".encode(), "iso-8859-1", "中文"),  # UTF-8 mislabelled latin-1
        ("中文".encode("gbk"), "utf-8", "中文"),  # GBK mislabelled UTF-8
        ("café".encode("latin-1"), "iso-8859-1", "café"),
        ("café".encode("latin-1"), None, "café"),
        ("€".encode("cp1252"), "us-ascii", "€"),
        ("中文".encode(), "no-such-charset", "中文"),
        ("香港".encode("big5hkscs"), "big5", "香港"),
    ],
)
def test_decode_bytes_fallbacks(data, label, expected):
    assert decode_bytes(data, label) == expected


def test_resolve_codec_widens_labels():
    assert resolve_codec("GB2312") == "gb18030"
    assert resolve_codec('"gbk"') == "gb18030"
    assert resolve_codec("Big5") == "big5hkscs"
    assert resolve_codec("nope") is None


@settings(deadline=None)  # a property, not a timing test (the machine is shared)
@given(st.binary(max_size=200), st.sampled_from([None, "gb2312", "big5", "utf-8", "bogus"]))
def test_decode_bytes_never_raises(data, label):
    assert isinstance(decode_bytes(data, label), str)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\system32\\evil.dll", "evil.dll"),
        ("C:\\Users\\a\\发票.pdf", "发票.pdf"),
        ("report..pdf", "report.pdf"),
        ("inv\x00oice\r\n.pdf", "inv oice .pdf"),
        ("photo\u202egnp.exe", "photo gnp.exe"),  # right-to-left override removed
        ('a<b>c:d"e|f?g*.txt', "a_b_c_d_e_f_g_.txt"),
        ("CON.txt", "_CON.txt"),
        ("...", "attachment.pdf"),
        ("", "attachment.pdf"),
        ("   .hidden", "hidden"),
    ],
)
def test_sanitise_filename(name, expected):
    assert sanitise_filename(name, "application/pdf") == expected


def test_long_filename_is_cut_but_keeps_extension():
    result = sanitise_filename("发" * 200 + ".pdf")
    assert result.endswith(".pdf")
    assert len(result.encode("utf-8")) <= 200


@settings(deadline=None)  # a property, not a timing test (the machine is shared)
@given(st.text(max_size=300))
def test_sanitised_filename_is_always_safe(name):
    result = sanitise_filename(name)
    assert result
    assert not any(bad in result for bad in ("/", "\\", ".."))
    assert not any(ord(char) < 32 or ord(char) == 127 for char in result)
    assert not result.startswith(".")
    assert len(result.encode("utf-8")) <= 200


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<iframe src="https://evil.example"></iframe>',
        '<svg onload="alert(1)"></svg>',
        '<div style="background:url(javascript:alert(1))">x</div>',
        "<object data='x.swf'></object>",
        '<form action="https://evil.example"><input name="pw"></form>',
    ],
)
def test_sanitise_html_removes_active_content(attack):
    cleaned = sanitise_html(attack).lower()
    for needle in ("<script", "onerror", "onload", "javascript:", "<iframe", "<object", "<form"):
        assert needle not in cleaned


def test_sanitise_html_keeps_cid_images_and_links():
    cleaned = sanitise_html('<img src="cid:logo@x" alt="logo"><a href="https://a.example">a</a>')
    assert 'src="cid:logo@x"' in cleaned
    assert 'href="https://a.example"' in cleaned


def test_html_to_text_blocks_breaks_and_quotes():
    html = (
        "<p>Hello&nbsp;there</p><div>line<br>break</div>"
        "<blockquote><p>quoted</p><blockquote>deeper</blockquote></blockquote>"
        "<pre>  keep   spacing</pre><style>p{}</style>"
    )
    assert html_to_text(html) == (
        "Hello there\nline\nbreak\n> quoted\n> > deeper\n  keep   spacing"
    )
