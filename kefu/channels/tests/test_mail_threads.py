"""Threading: ticket ids in subjects, lookup keys, and outbound reply headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.channels.mail import (
    build_reply_headers,
    parse_message,
    reply_subject,
    thread_keys,
    ticket_reference_from_subject,
)
from kefu.channels.mail.threads import message_ids_in, normalise_message_id

EMAILS = Path(__file__).parent / "emails"


@pytest.mark.parametrize(
    "subject",
    [
        "[KF-2026-000123] Order not delivered",
        "Re: [KF-2026-000123] Order not delivered",
        "RE: RE: Fwd: KF-2026-000123 Order not delivered",
        "回复：[KF-2026-000123] 订单未送达",
        "答复: 【KF-2026-000123】订单未送达",
        "转发：回复：KF-2026-000123",
        "Fwd: order (kf-2026-000123)",
        "自动回复: [KF-2026-000123] 订单",
    ],
)
def test_ticket_reference_found_after_prefixes(subject):
    assert ticket_reference_from_subject(subject) == "KF-2026-000123"


@pytest.mark.parametrize(
    "subject",
    ["", "Order 2026-000123", "XKF-2026-000123", "KF-2026-000123X", "KF-26-000123", "KF2026000123"],
)
def test_no_ticket_reference(subject):
    assert ticket_reference_from_subject(subject) is None


def test_custom_prefix_is_escaped():
    assert (
        ticket_reference_from_subject("Re: [C.S-2026-000007] x", prefix="C.S") == "C.S-2026-000007"
    )
    assert ticket_reference_from_subject("Re: [CXS-2026-000007] x", prefix="C.S") is None


def test_thread_keys_in_reply_to_first_then_references_newest_first():
    parsed = parse_message((EMAILS / "reply_gmail_en.eml").read_bytes())
    assert thread_keys(parsed) == [
        "kf.2026.000123.2@kefu.example",
        "kf.2026.000123.1@kefu.example",
        "CAJ+first.41@mail.gmail.com",
    ]


def test_thread_keys_of_a_bounce_end_with_the_returned_message():
    parsed = parse_message((EMAILS / "bounce_postfix.eml").read_bytes())
    assert thread_keys(parsed) == ["kf.2026.000321.3@kefu.example"]


def test_thread_keys_empty_for_a_new_message():
    assert thread_keys(parse_message((EMAILS / "plain_utf8.eml").read_bytes())) == []


def test_message_id_normalisation():
    assert normalise_message_id("  <Abc.1@Example.COM> (comment)") == "Abc.1@Example.COM"
    assert normalise_message_id("bare@example.com") == "bare@example.com"
    assert normalise_message_id("<>") is None
    assert normalise_message_id(None) is None
    assert message_ids_in("<a@x> <b@x>\r\n <a@x>") == ["a@x", "b@x"]
    assert message_ids_in("a@x, b@x") == ["a@x", "b@x"]


def test_build_reply_headers():
    headers = build_reply_headers(
        "KF-2026-000123",
        "kf.2026.000123.3",
        ["<CAJ+first.41@mail.gmail.com>", "kf.2026.000123.1@kefu.example", "CAJ+r.42@gmail.com"],
        "kefu.example",
    )
    assert headers == {
        "Message-ID": "<kf.2026.000123.3@kefu.example>",
        "In-Reply-To": "<CAJ+r.42@gmail.com>",
        "References": (
            "<CAJ+first.41@mail.gmail.com> <kf.2026.000123.1@kefu.example> <CAJ+r.42@gmail.com>"
        ),
        "X-Kefu-Ticket": "KF-2026-000123",
        "subject_prefix": "[KF-2026-000123]",
    }


def test_build_reply_headers_first_message_and_long_chains():
    first = build_reply_headers("KF-2026-000001", "<x@kefu.example>", [], "kefu.example")
    assert first["Message-ID"] == "<x@kefu.example>"
    assert "In-Reply-To" not in first and "References" not in first
    chain = [f"m{i}@example.com" for i in range(50)]
    long = build_reply_headers("KF-2026-000001", "y", chain, "kefu.example")
    ids = message_ids_in(long["References"])
    assert len(ids) == 20 and ids[0] == "m0@example.com" and ids[-1] == "m49@example.com"
    assert long["In-Reply-To"] == "<m49@example.com>"


@pytest.mark.parametrize(("domain", "identifier"), [("bad domain", "x"), ("kefu.example", "a b")])
def test_build_reply_headers_rejects_bad_input(domain, identifier):
    with pytest.raises(ValueError):
        build_reply_headers("KF-2026-000001", identifier, [], domain)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Order not delivered", "Re: [KF-2026-000123] Order not delivered"),
        ("Re: RE: [KF-2026-000123] Order", "Re: [KF-2026-000123] Order"),
        ("回复：订单未送达", "Re: [KF-2026-000123] 订单未送达"),
        ("", "Re: [KF-2026-000123]"),
    ],
)
def test_reply_subject(subject, expected):
    assert reply_subject(subject, "KF-2026-000123") == expected


@settings(deadline=None)  # a property, not a timing test (the machine is shared)
@given(st.lists(st.from_regex(r"[a-z0-9.]{1,12}@[a-z]{1,8}\.example", fullmatch=True), max_size=30))
def test_reply_headers_round_trip_through_parsing(parents):
    headers = build_reply_headers("KF-2026-000123", "ours", parents, "kefu.example")
    raw = "".join(f"{name}: {value}\r\n" for name, value in headers.items() if name[0].isupper())
    parsed = parse_message(f"From: a@kefu.example\r\n{raw}\r\nbody".encode())
    unique = list(dict.fromkeys(parents))
    assert parsed.message_id == "ours@kefu.example"
    assert parsed.in_reply_to == (unique[-1] if unique else None)
    assert thread_keys(parsed)[:1] == unique[-1:]
    assert set(parsed.references) <= set(unique)
