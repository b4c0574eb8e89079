"""Channels ingestion benchmark (issue 6): inbound emails/s and call records/s, duplicates included.

    .venv/bin/python bench/bench_channels.py --quick        # 300 emails, 1,000 calls (SQLite file)
    .venv/bin/python bench/bench_channels.py                # 2,000 emails, 10,000 calls
    KEFU_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kefu_channels_bench \\
        .venv/bin/python bench/bench_channels.py --quick    # the same on PostgreSQL

The scratch database is emptied first (SQLite file in var/, or the PostgreSQL database named in
KEFU_DATABASE_URL — never point it at real data). Emails go through `email_ingest` (parse,
classify, thread, customer match/create, ticket or message, attachments, audit): new threads
from recurring senders, replies by In-Reply-To, the test corpus, and 10 % redeliveries. Calls go
through `call_record_ingest` (E.164 matching, customer creation, 10 % redeliveries), once
without tickets (the CTI log) and once opening a phone ticket per answered call. Afterwards the
row counts are checked: no duplicate message, inbound email or call record.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(database_url: str | None) -> None:
    if database_url:
        os.environ["KEFU_DATABASE_URL"] = database_url
    else:
        path = ROOT / "var" / "bench-channels.sqlite3"
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["KEFU_DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    os.environ["KEFU_TASKS_EAGER"] = "1"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)


def make_emails(count: int, rng: random.Random) -> list[bytes]:
    corpus = sorted((ROOT / "kefu" / "channels" / "tests" / "emails").glob("*.eml"))
    senders = [f"customer{i}@example.cn" for i in range(max(count // 4, 1))]
    mails: list[bytes] = []
    sent_ids: list[str] = []
    for i in range(count):
        if i % 20 == 0:
            mails.append(corpus[(i // 20) % len(corpus)].read_bytes())
            continue
        msg = EmailMessage()
        msg["From"] = f"客户{i} <{rng.choice(senders)}>"
        msg["To"] = "service@huaxin.example"
        msg["Message-ID"] = f"<bench.{i}@mail.example.cn>"
        if sent_ids and rng.random() < 0.4:
            parent = rng.choice(sent_ids)
            msg["Subject"] = "回复：订单问题"
            msg["In-Reply-To"] = f"<{parent}>"
            msg["References"] = f"<{parent}>"
            msg.set_content(
                "还没有收到，请尽快处理。\n\n在 2026年6月1日 10:00，客服 写道：\n> 您好"
            )
        else:
            msg["Subject"] = f"订单 HX{i:06d} 未发货"
            msg.set_content("我的订单已经一周了还没有发货，请帮忙查一下。" * 3)
        sent_ids.append(f"bench.{i}@mail.example.cn")
        mails.append(bytes(msg))
    redelivered = rng.sample(mails, k=count // 10)
    mails += redelivered
    rng.shuffle(mails[count // 2 :])  # redeliveries arrive later, mixed with new mail
    return mails


def make_calls(count: int, rng: random.Random, prefix: str) -> list[dict]:
    start = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    numbers = [f"+86138{n:08d}" for n in rng.sample(range(10**8), max(count // 3, 1))]
    calls = []
    for i in range(count):
        offered = start + dt.timedelta(seconds=17 * i)
        abandoned = rng.random() < 0.1
        wait = rng.expovariate(1 / 20)
        calls.append(
            {
                "external_id": f"{prefix}-{i}",
                "caller_number": rng.choice(numbers),
                "offered_at": offered,
                "answered_at": None if abandoned else offered + dt.timedelta(seconds=wait),
                "ended_at": offered + dt.timedelta(seconds=wait + rng.uniform(30, 600)),
                "queue_name": rng.choice(["售前", "售后", "投诉"]),
            }
        )
    return calls + rng.sample(calls, k=count // 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database", default=os.environ.get("KEFU_DATABASE_URL"))
    args = parser.parse_args()
    setup(args.database)
    from django.db import connection

    from kefu.channels import services
    from kefu.channels.models import CallRecord, InboundEmail
    from kefu.tickets.models import Message

    rng = random.Random(6)
    n_mail, n_calls = (300, 1000) if args.quick else (2000, 10000)
    mails = make_emails(n_mail, rng)
    print(f"database: {connection.vendor}; {len(mails)} emails ({len(mails) - n_mail} redelivered)")
    started = time.perf_counter()
    created = sum(services.email_ingest(raw).created for raw in mails)
    seconds = time.perf_counter() - started
    print(f"emails: {len(mails) / seconds:8.1f} ingested/s  ({created} new, {seconds:.1f} s)")
    rows = InboundEmail.objects.count()
    ids = InboundEmail.objects.values("message_id").distinct().count()
    email_messages = Message.objects.filter(channel="email", kind="customer").count()
    processed = InboundEmail.objects.filter(status="processed").count()
    assert rows == created == ids, (rows, created, ids)
    assert email_messages == processed, (email_messages, processed)

    calls = make_calls(n_calls, rng, "bulk")
    before = CallRecord.objects.count()
    started = time.perf_counter()
    new = 0
    for i in range(0, len(calls), 500):  # the CTI's log sync: POST /calls/bulk, 500 a request
        results = services.call_records_ingest_bulk(actor=None, records=calls[i : i + 500])
        new += sum(r.created for r in results)
    seconds = time.perf_counter() - started
    print(
        f"calls (bulk, log only): {len(calls) / seconds:8.1f} records/s ({new} new of {len(calls)})"
    )
    assert CallRecord.objects.count() - before == new == len({c["external_id"] for c in calls})

    for label, create_ticket in (("one by one, log only", False), ("one by one, + ticket", None)):
        calls = make_calls(n_calls // 10, rng, label[:14])
        before = CallRecord.objects.count()
        started = time.perf_counter()
        new = sum(
            services.call_record_ingest(actor=None, create_ticket=create_ticket, **c).created
            for c in calls
        )
        seconds = time.perf_counter() - started
        print(f"calls ({label}): {len(calls) / seconds:8.1f} records/s ({new} new of {len(calls)})")
        assert CallRecord.objects.count() - before == new == len({c["external_id"] for c in calls})
    print("no duplicate rows: ok")


if __name__ == "__main__":
    main()
