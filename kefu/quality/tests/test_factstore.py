"""The fact table on the database: refresh, SQL sums, and kpi_report with and without it."""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.core.management import call_command
from django.db.models import F as Col
from django.utils import timezone

from kefu.quality import facts as F
from kefu.quality import factstore, selectors, services
from kefu.quality.models import KpiDay, KpiFactState
from kefu.quality.tests.factories import make_team, worked_ticket
from kefu.quality.tests.test_facts import assert_same


def _shift(ticket, days: int) -> None:
    """Move a ticket's whole history `days` back in time."""
    from kefu.sla.models import TicketSlaTarget
    from kefu.tickets.models import Message, Ticket, TicketEvent

    delta = dt.timedelta(days=days)
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=Col("created_at") - delta, updated_at=Col("updated_at") - delta
    )
    TicketEvent.objects.filter(ticket=ticket).update(at=Col("at") - delta)
    Message.objects.filter(ticket=ticket).update(created_at=Col("created_at") - delta)
    for field in ("met_at", "breached_at"):
        TicketSlaTarget.objects.filter(ticket=ticket, **{f"{field}__isnull": False}).update(
            **{field: Col(field) - delta}
        )


def _history(make_user):
    agent = make_user("agent", display_name="王芳")
    other = make_user("agent", display_name="陈静")
    team = make_team("一组", members=[agent, other])
    for days, who, solve in [
        (40, agent, True),
        (40, other, False),
        (33, agent, True),
        (9, other, True),
        (0, agent, True),
    ]:
        _shift(worked_ticket(who, team=team, solve=solve), days)
    return agent, other, team


def _ranges(today: dt.date):
    month = today.replace(day=1)
    prev = (month - dt.timedelta(days=1)).replace(day=1)
    return [
        ("day", today - dt.timedelta(days=45), today),
        ("week", today - dt.timedelta(days=50), today),
        ("month", prev - dt.timedelta(days=40), today),
    ]


def test_refresh_then_report_matches_events(db, make_user, monkeypatch):
    agent, other, team = _history(make_user)
    result = factstore.refresh()
    today = timezone.localdate()
    frozen = timezone.now()  # both reports measure the live backlog at the same instant
    monkeypatch.setattr(selectors.timezone, "now", lambda: frozen)
    calls = []
    real = factstore.report
    monkeypatch.setattr(factstore, "report", lambda **kw: calls.append(kw) or real(**kw))
    current = []
    real_current = factstore.current_period
    monkeypatch.setattr(
        factstore, "current_period", lambda **kw: current.append(kw) or real_current(**kw)
    )
    assert result["complete_through"] == today - dt.timedelta(days=1)
    assert KpiDay.objects.filter(day__gte=today).count() == 0  # today stays live
    assert KpiDay.objects.filter(agent_id=agent.pk).exists()
    for period, start, end in _ranges(today):
        for level in ("company", "team", "agent"):
            for filters in ({}, {"team_id": team.pk}, {"agent_id": other.pk}):
                kw = dict(level=level, period=period, start=start, end=end, **filters)
                with_facts = selectors.kpi_report(**kw)
                from_events = selectors.kpi_report(**kw, use_facts=False)
                assert_same(from_events.drop("level_name"), with_facts.drop("level_name"))
                assert with_facts["level_name"].equals(from_events["level_name"])
                assert calls and calls[-1]["period"] == period  # the fact table was read
                assert current and current[-1]["today"] == today  # and today live
                calls.clear()
                current.clear()


def test_sql_sums_equal_polars_sums(db, make_user):
    _, other, team = _history(make_user)
    factstore.refresh()
    rows = list(KpiDay.objects.values(*F.FACT_SCHEMA))
    facts = pl.DataFrame(rows, schema=F.FACT_SCHEMA)
    month = timezone.localdate().replace(day=1)
    start = (month - dt.timedelta(days=1)).replace(day=1)
    end = month - dt.timedelta(days=1)
    for level in ("company", "team", "agent"):
        for filters in ({}, {"team_id": team.pk}, {"agent_id": other.pk}):
            kw = dict(level=level, period="month", start=start, end=end, **filters)
            assert_same(F.report_from_facts(facts, **kw), factstore.report(**kw))


def test_refresh_folds_in_late_changes_and_is_idempotent(db, make_user, agent):
    ticket = worked_ticket(agent)
    _shift(ticket, 20)
    factstore.refresh()
    before = list(KpiDay.objects.order_by("day", "agent_id").values(*F.FACT_SCHEMA))
    assert sum(r["created_n"] for r in before) == 1
    # Nothing changed: a second refresh writes the same rows.
    factstore.refresh()
    assert list(KpiDay.objects.order_by("day", "agent_id").values(*F.FACT_SCHEMA)) == before
    # A mystery-customer mark today removes the 20-day-old ticket from every figure.
    qa = make_user("qa")
    services.mystery_contact_create(actor=qa, ticket=ticket, shopper="张三", scenario="退货")
    result = factstore.refresh()
    assert result["months"]  # its month was recomputed
    assert KpiDay.objects.filter(created_n__gt=0).count() == 0
    state = KpiFactState.objects.get()
    assert state.complete_through == timezone.localdate() - dt.timedelta(days=1)


def test_task_and_command_refresh(db, make_user, agent):
    from kefu.core.tasks import REGISTRY
    from kefu.quality.tasks import refresh_kpi_facts_task

    _shift(worked_ticket(agent), 3)
    assert REGISTRY["quality.refresh_kpi_facts"].every_seconds == 900
    assert refresh_kpi_facts_task() > 0
    call_command("kpi_facts", "refresh", "--full")
    assert KpiFactState.objects.get().complete_through is not None
