"""SLA escalation sweep benchmark: one sweep over many open tickets, few of them at a threshold.

Run: KEFU_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kefu_sla_bench \
         .venv/bin/python bench/bench_sla_sweep.py [--quick] [--tickets 1000000] [--due 200]

Creates (once; reused on the next run) `--tickets` open tickets with SLA clocks whose next alert
lies in the future, plus `--due` clocks whose threshold has passed, then times `sla_sweep`.
The sweep must only touch the due clocks (index on alert_at), so its time depends on `--due`,
not on `--tickets`. Target: < 10 s. Exits 1 when the target is missed or the count is wrong.
Never point it at a database you care about: it adds bench rows (customer "BENCH").
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

TARGET_SECONDS = 10.0


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    os.environ.setdefault(
        "KEFU_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/kefu_sla_bench"
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)
    from kefu.accounts.roles import sync_role_groups

    sync_role_groups()  # every app's permissions exist now


def _populate(total: int, due: int, now: dt.datetime) -> None:
    from kefu.customers.models import Customer
    from kefu.sla import services
    from kefu.sla.models import BusinessCalendar, EscalationRule, TicketSla, TicketSlaTarget
    from kefu.tickets.models import Ticket

    calendar = BusinessCalendar.objects.filter(name="BENCH office").first() or (
        services.calendar_create(
            actor=None,
            name="BENCH office",
            timezone="Asia/Shanghai",
            weekly={d: [["09:00", "12:00"], ["13:30", "18:00"]] for d in ("mon", "tue", "wed")},
        )
    )
    if not EscalationRule.objects.filter(name="BENCH breach").exists():
        services.rule_create(
            actor=None, name="BENCH breach", target="resolution", action="add_tag", tag="bench"
        )
    customer, _created = Customer.objects.get_or_create(number="BENCH", defaults={"name": "BENCH"})
    have = TicketSla.objects.filter(ticket__customer=customer).count()
    batch = 10_000
    while have < total:
        size = min(batch, total - have)
        tickets = Ticket.objects.bulk_create(
            [
                Ticket(
                    customer=customer, subject="bench", channel="web", kind="inquiry", status="open"
                )
                for _ in range(size)
            ]
        )
        created = [t.created_at for t in tickets]
        slas = TicketSla.objects.bulk_create(
            [
                TicketSla(
                    ticket=t,
                    calendar=calendar,
                    pause_statuses=["pending"],
                    history=[[c.isoformat(), "open"]],
                    applied_at=now,
                )
                for t, c in zip(tickets, created, strict=True)
            ]
        )
        TicketSlaTarget.objects.bulk_create(
            [
                TicketSlaTarget(
                    ticket_sla=s,
                    ticket_id=s.ticket_id,
                    kind="resolution",
                    minutes=60 * 24 * 30,
                    started_at=now,
                    state="running",
                    due_at=now + dt.timedelta(days=30),
                    alert_at=now + dt.timedelta(days=30),
                    computed_at=now,
                )
                for s in slas
            ]
        )
        have += size
        print(f"  created {have:,} open tickets with clocks", flush=True)
    # Make `due` of them due: started long ago with a short target, alert in the past.
    ids = list(
        TicketSlaTarget.objects.filter(ticket__customer=customer)
        .order_by("id")
        .values_list("id", flat=True)[:due]
    )
    long_ago = now - dt.timedelta(days=60)
    TicketSla.objects.filter(targets__id__in=ids).update(history=[[long_ago.isoformat(), "open"]])
    TicketSlaTarget.objects.filter(id__in=ids).update(
        started_at=long_ago, minutes=60, alert_at=now - dt.timedelta(minutes=1), state="running"
    )
    TicketSlaTarget.objects.filter(ticket__customer=customer).exclude(id__in=ids).update(
        alert_at=now + dt.timedelta(days=30)
    )
    from kefu.sla.models import EscalationFiring

    EscalationFiring.objects.filter(ticket__customer=customer).delete()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 tickets, 50 due")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=200)
    args = parser.parse_args()
    total, due = (10_000, 50) if args.quick else (args.tickets, args.due)
    _setup()
    from django.db import connection
    from django.utils import timezone

    from kefu.sla.services import sla_sweep

    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; the target is stated for PostgreSQL", file=sys.stderr)
    now = timezone.now()
    print(f"Populating {total:,} open tickets ({due} at a threshold)…", flush=True)
    _populate(total, due, now)
    started = time.perf_counter()
    result = sla_sweep(now=now)
    elapsed = time.perf_counter() - started
    again = sla_sweep(now=now)
    ok = result.examined == due and result.fired == due and again.fired == 0
    ok = ok and elapsed < TARGET_SECONDS
    print(
        f"| open tickets | due | examined | fired | sweep (s) | target (s) |\n"
        f"|---:|---:|---:|---:|---:|---:|\n"
        f"| {total:,} | {due} | {result.examined} | {result.fired} | {elapsed:.2f} | "
        f"{TARGET_SECONDS:.0f} |"
    )
    print(f"second sweep fired {again.fired} (must be 0)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
