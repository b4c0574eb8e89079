"""Reads of the sla app: configuration lists, a ticket's live clocks, expected response times."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.sla.calendar import add_business_time
from kefu.sla.models import (
    BusinessCalendar,
    EscalationRule,
    PolicyReapplication,
    SlaPolicy,
    TargetKind,
    TicketSla,
    TicketSlaTarget,
)
from kefu.sla.services.clocks import active_policies, evaluate, matching_policy
from kefu.sla.services.config import calendar_core


def calendar_list() -> QuerySet[BusinessCalendar]:
    """Calendars by name, with how many policies use each (1 query)."""
    return BusinessCalendar.objects.annotate(policy_count=Count("slapolicy")).order_by("name")


def policy_list() -> QuerySet[SlaPolicy]:
    """Policies in matching order with calendar and condition sets (3 queries)."""
    return (
        SlaPolicy.objects.select_related("calendar")
        .prefetch_related("categories", "organizations")
        .order_by("position", "id")
    )


def rule_list() -> QuerySet[EscalationRule]:
    """Escalation rules with their policy and team, and how often each fired (1 query)."""
    return (
        EscalationRule.objects.select_related("policy", "team")
        .annotate(firing_count=Count("firings"))
        .order_by("target", "at_percent", "id")
    )


def reapplication_list(policy: SlaPolicy) -> QuerySet[PolicyReapplication]:
    return policy.reapplications.select_related("actor").order_by("-created_at")


# --- waiting management (M26) ---------------------------------------------------------------


@dataclass(frozen=True)
class ExpectedResponse:
    """The first-response promise for a new ticket: `minutes` of business (or calendar) time,
    due at `due_at` if the ticket were created at the given instant."""

    policy_name: str
    minutes: int
    business_time: bool
    due_at: dt.datetime
    calendar_name: str


def expected_response(
    *,
    kind: str = "inquiry",
    priority: str = "normal",
    tier: str = "",
    channel: str = "web",
    category_id: int | None = None,
    organization_id: int | None = None,
    now: dt.datetime | None = None,
) -> ExpectedResponse | None:
    """Expected first-response time for a new ticket with these properties (for the portal's
    request form and the auto-acknowledgement).

    Uses the SLA policy that would apply (first match in order) and its calendar, so outside
    working hours the promise starts at the next working instant. Returns None when no active
    policy matches or the policy sets no first-response target (say nothing then).
    Example: ``expected_response(kind="complaint", priority="high", tier="A").due_at``.
    """
    now = now or timezone.now()
    probe = SimpleNamespace(
        kind=kind,
        priority=priority,
        channel=channel,
        category_id=category_id,
        customer=SimpleNamespace(
            tier=tier, organization_id=organization_id, kind="person", pk=None
        ),
    )
    policy = matching_policy(probe, active_policies())
    spec = policy.targets().get(TargetKind.FIRST_RESPONSE) if policy else None
    if spec is None:
        return None
    duration = dt.timedelta(minutes=spec["minutes"])
    if spec["business"]:
        due_at = add_business_time(now, duration, calendar_core(policy.calendar))
    else:
        due_at = now.astimezone(dt.UTC) + duration
    return ExpectedResponse(
        policy_name=policy.name,
        minutes=spec["minutes"],
        business_time=spec["business"],
        due_at=due_at,
        calendar_name=policy.calendar.name,
    )


# --- a ticket's clocks -----------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """One SLA clock of a ticket, evaluated now (for the ticket page and tickets/{id}/sla)."""

    kind: str
    label: str
    minutes: int
    business_time: bool
    state: str
    started_at: dt.datetime
    due_at: dt.datetime | None
    met_at: dt.datetime | None
    remaining_seconds: float
    elapsed_seconds: float
    percent_elapsed: float
    paused: bool
    breached: bool
    breached_at: dt.datetime | None
    paused_seconds: float
    paused_intervals: list
    cycles: int
    breach_reason: str = ""
    breach_reason_label: str = ""
    breach_note: str = ""

    @property
    def remaining_text(self) -> str:
        return format_duration(self.remaining_seconds)

    @property
    def paused_text(self) -> str:
        return format_duration(self.paused_seconds)

    @property
    def overdue_text(self) -> str:
        if not self.breached or self.due_at is None:
            return ""
        end = self.met_at or timezone.now()
        return format_duration(max((end - self.due_at).total_seconds(), 0))


def format_duration(seconds: float) -> str:
    """ "12 min", "3 h 05 min", up to 99 h; then "5 d 3 h" (24-hour days). Hours rather than days
    below that, because business time is mostly shorter than 24 h a day."""
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if minutes >= 100 * 60:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if minutes >= 60:
        return _("%(h)d h %(m)02d min") % {"h": minutes // 60, "m": mins}
    return _("%(m)d min") % {"m": mins}


def ticket_sla(ticket) -> TicketSla | None:
    return (
        TicketSla.objects.select_related("policy", "calendar")
        .prefetch_related("targets")
        .filter(ticket_id=ticket.pk)
        .first()
    )


def ticket_clocks(ticket, *, now: dt.datetime | None = None) -> list[Clock]:
    """The ticket's SLA clocks evaluated at `now` from the stored history (2 queries; nothing
    is written). Empty when no policy applies."""
    now = now or timezone.now()
    sla = ticket_sla(ticket)
    if sla is None:
        return []
    order = {kind: i for i, kind in enumerate(TargetKind.values)}
    clocks = []
    for target in sorted(sla.targets.all(), key=lambda t: order[t.kind]):
        state = evaluate(sla, target, now)
        if target.met_at is not None:
            status = TicketSlaTarget.State.MET
        elif state.stopped:
            status = TicketSlaTarget.State.STOPPED
        elif state.paused:
            status = TicketSlaTarget.State.PAUSED
        else:
            status = TicketSlaTarget.State.RUNNING
        end = target.met_at or now
        clocks.append(
            Clock(
                kind=target.kind,
                label=str(target.get_kind_display()),
                minutes=target.minutes,
                business_time=target.business_time,
                state=status,
                started_at=target.started_at,
                due_at=state.due_at,
                met_at=target.met_at,
                remaining_seconds=state.remaining.total_seconds(),
                elapsed_seconds=state.elapsed.total_seconds(),
                percent_elapsed=round(state.percent_elapsed, 1),
                paused=state.paused and target.met_at is None,
                breached=state.breached,
                breached_at=state.breached_at,
                paused_seconds=sum(
                    max(((stop or end) - start).total_seconds(), 0)
                    for start, stop in state.paused_intervals
                ),
                paused_intervals=[
                    {"start": start, "end": stop} for start, stop in state.paused_intervals
                ],
                cycles=target.cycles,
                breach_reason=target.breach_reason,
                breach_reason_label=str(target.get_breach_reason_display())
                if target.breach_reason
                else "",
                breach_note=target.breach_note,
            )
        )
    return clocks
