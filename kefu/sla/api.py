"""SLA API: business calendars, ordered SLA policies, escalation rules, a ticket's clocks and
the compliance report. Reads need the SLA view permissions; writes are for administrators."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from kefu.accounts.models import Team
from kefu.api.pagination import PageNumberless
from kefu.core.errors import ValidationFailed
from kefu.core.permissions import require_perm
from kefu.customers.models import Customer
from kefu.sla import reporting, selectors, services
from kefu.sla.models import BreachReason, BusinessCalendar, EscalationRule, SlaPolicy, TargetKind
from kefu.tickets.access import require_ticket_access
from kefu.tickets.models import Category, Ticket

VIEW_CONFIG = "sla.view_slapolicy"
VIEW_TICKET = "sla.view_ticketsla"
MANAGE = services.config.MANAGE

calendars_router = Router(tags=["sla"])
policies_router = Router(tags=["sla"])
rules_router = Router(tags=["sla"])
tickets_router = Router(tags=["sla"])
reports_router = Router(tags=["sla"])

Spans = list[tuple[str, str]]
TargetName = Literal["first_response", "next_response", "resolution", "onsite"]


# --- calendars ------------------------------------------------------------------------------


class CalendarOut(Schema):
    id: int
    version: int
    name: str
    timezone: str
    always_open: bool
    weekly: dict[str, list[list[str]]]
    holidays: list[str]
    makeup_days: list
    makeup_spans: list[list[str]]


class CalendarIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    timezone: str = Field("Asia/Shanghai", max_length=64)
    always_open: bool = False
    weekly: dict[str, Spans] = Field(
        {}, description='{"mon": [["09:00", "12:00"], ["13:30", "18:00"]], …}'
    )
    holidays: list[str] = Field([], description="ISO dates, e.g. 2026-10-01.")
    makeup_days: list[str | dict] = Field(
        [], description='Dates, or {"date": "2026-10-10", "as_weekday": "fri"}.'
    )
    makeup_spans: Spans = []


class CalendarPatch(Schema):
    version: int = Field(description="The version you read; a stale one gets 409.")
    name: str | None = Field(None, min_length=1, max_length=100)
    timezone: str | None = Field(None, max_length=64)
    always_open: bool | None = None
    weekly: dict[str, Spans] | None = None
    holidays: list[str] | None = None
    makeup_days: list[str | dict] | None = None
    makeup_spans: Spans | None = None


def _jsonable_spans(data: dict) -> dict:
    for key in ("weekly",):
        if data.get(key) is not None:
            data[key] = {day: [list(s) for s in spans] for day, spans in data[key].items()}
    if data.get("makeup_spans") is not None:
        data["makeup_spans"] = [list(s) for s in data["makeup_spans"]]
    return data


@calendars_router.get("", response=list[CalendarOut])
@paginate(PageNumberless)
def calendar_list(request):
    require_perm(request.user, VIEW_CONFIG)
    return selectors.calendar_list()


@calendars_router.post("", response={201: CalendarOut})
def calendar_create(request, payload: CalendarIn):
    calendar = services.calendar_create(actor=request.user, **_jsonable_spans(payload.dict()))
    return Status(201, calendar)


@calendars_router.get("/{calendar_id}", response=CalendarOut)
def calendar_detail(request, calendar_id: int):
    require_perm(request.user, VIEW_CONFIG)
    return get_object_or_404(BusinessCalendar, pk=calendar_id)


@calendars_router.patch("/{calendar_id}", response=CalendarOut)
def calendar_update(request, calendar_id: int, payload: CalendarPatch):
    calendar = get_object_or_404(BusinessCalendar, pk=calendar_id)
    changes = _jsonable_spans(payload.dict(exclude_unset=True, exclude={"version"}))
    return services.calendar_update(
        actor=request.user, calendar=calendar, expected_version=payload.version, changes=changes
    )


@calendars_router.post("/{calendar_id}/holidays", response=CalendarOut)
def calendar_import_holidays(
    request,
    calendar_id: int,
    version: Form[int],
    file: File[UploadedFile],
    format: Form[Literal["csv", "ics"]] = "csv",
):
    """Merge a holiday file: CSV `date,kind[,name]` (kind holiday|workday, 节假日|补班; UTF-8 or
    GB18030) or iCalendar all-day events (SUMMARY with 补班/workday marks a make-up day)."""
    calendar = get_object_or_404(BusinessCalendar, pk=calendar_id)
    return services.calendar_import_holidays(
        actor=request.user,
        calendar=calendar,
        expected_version=version,
        data=file.read(),
        file_format=format,
    )


@calendars_router.delete("/{calendar_id}", response={204: None})
def calendar_delete(request, calendar_id: int):
    services.calendar_delete(
        actor=request.user, calendar=get_object_or_404(BusinessCalendar, pk=calendar_id)
    )
    return Status(204, None)


# --- policies -------------------------------------------------------------------------------


class PolicyOut(Schema):
    id: int
    version: int
    name: str
    position: int
    is_active: bool
    calendar_id: int
    priorities: list[str]
    kinds: list[str]
    channels: list[str]
    tiers: list[str]
    category_ids: list[int]
    organization_ids: list[int]
    first_response_minutes: int | None
    first_response_business: bool
    next_response_minutes: int | None
    next_response_business: bool
    resolution_minutes: int | None
    resolution_business: bool
    onsite_minutes: int | None
    onsite_business: bool
    on_hold_pauses: bool
    status_message_after_minutes: int | None
    status_message_template: str

    @staticmethod
    def resolve_category_ids(obj) -> list[int]:
        return [c.pk for c in obj.categories.all()]

    @staticmethod
    def resolve_organization_ids(obj) -> list[int]:
        return [o.pk for o in obj.organizations.all()]


Minutes = int | None


class PolicyIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    is_active: bool = True
    calendar_id: int
    priorities: list[Literal["low", "normal", "high", "urgent"]] = []
    kinds: list[Literal["inquiry", "request", "complaint", "praise"]] = []
    channels: list[str] = []
    tiers: list[Literal["A", "B", "C", "D"]] = []
    category_ids: list[int] = []
    organization_ids: list[int] = []
    first_response_minutes: Minutes = Field(None, ge=1)
    first_response_business: bool = True
    next_response_minutes: Minutes = Field(None, ge=1)
    next_response_business: bool = True
    resolution_minutes: Minutes = Field(None, ge=1)
    resolution_business: bool = True
    onsite_minutes: Minutes = Field(None, ge=1)
    onsite_business: bool = False
    on_hold_pauses: bool = False
    status_message_after_minutes: Minutes = Field(None, ge=1)
    status_message_template: str = ""


class PolicyPatch(Schema):
    version: int = Field(description="The version you read; a stale one gets 409.")
    name: str | None = Field(None, min_length=1, max_length=100)
    is_active: bool | None = None
    calendar_id: int | None = None
    priorities: list[Literal["low", "normal", "high", "urgent"]] | None = None
    kinds: list[Literal["inquiry", "request", "complaint", "praise"]] | None = None
    channels: list[str] | None = None
    tiers: list[Literal["A", "B", "C", "D"]] | None = None
    category_ids: list[int] | None = None
    organization_ids: list[int] | None = None
    first_response_minutes: Minutes = Field(None, ge=1)
    first_response_business: bool | None = None
    next_response_minutes: Minutes = Field(None, ge=1)
    next_response_business: bool | None = None
    resolution_minutes: Minutes = Field(None, ge=1)
    resolution_business: bool | None = None
    onsite_minutes: Minutes = Field(None, ge=1)
    onsite_business: bool | None = None
    on_hold_pauses: bool | None = None
    status_message_after_minutes: Minutes = Field(None, ge=1)
    status_message_template: str | None = None


class ReorderIn(Schema):
    policy_ids: list[int] = Field(description="Every policy's id, first match first.")


class ReapplyOut(Schema):
    tickets: int


def _objects(model, ids: list[int], field: str) -> list:
    found = list(model.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise ValidationFailed(f"{field}: no such record.", fields={field: "No such record."})
    return found


def _policy_data(data: dict) -> tuple[dict, list | None, list | None]:
    if "calendar_id" in data:
        calendar_id = data.pop("calendar_id")
        data["calendar"] = BusinessCalendar.objects.filter(pk=calendar_id).first()
        if data["calendar"] is None:
            raise ValidationFailed(
                "calendar_id: no such record.", fields={"calendar_id": "No such record."}
            )
    categories = data.pop("category_ids", None)
    organizations = data.pop("organization_ids", None)
    if categories is not None:
        categories = _objects(Category, categories, "category_ids")
    if organizations is not None:
        organizations = _objects(Customer, organizations, "organization_ids")
    return data, categories, organizations


@policies_router.get("", response=list[PolicyOut])
@paginate(PageNumberless)
def policy_list(request):
    """Policies in matching order: the first active policy whose conditions hold applies."""
    require_perm(request.user, VIEW_CONFIG)
    return selectors.policy_list()


@policies_router.post("", response={201: PolicyOut})
def policy_create(request, payload: PolicyIn):
    data, categories, organizations = _policy_data(payload.dict())
    policy = services.policy_create(
        actor=request.user, categories=categories, organizations=organizations, **data
    )
    return Status(201, selectors.policy_list().get(pk=policy.pk))


@policies_router.post("/reorder", response=list[PolicyOut])
def policy_reorder(request, payload: ReorderIn):
    services.policy_reorder(actor=request.user, policy_ids=payload.policy_ids)
    return list(selectors.policy_list())


class ExpectedOut(Schema):
    policy_name: str
    minutes: int
    business_time: bool
    due_at: dt.datetime


@policies_router.get("/expected-response", response={200: ExpectedOut, 204: None})
def expected_response(
    request,
    kind: str = "inquiry",
    priority: str = "normal",
    tier: str = "",
    channel: str = "web",
):
    """The first-response promise for a new ticket with these properties (204: none)."""
    promise = selectors.expected_response(kind=kind, priority=priority, tier=tier, channel=channel)
    return Status(204, None) if promise is None else promise


@policies_router.get("/{policy_id}", response=PolicyOut)
def policy_detail(request, policy_id: int):
    require_perm(request.user, VIEW_CONFIG)
    return get_object_or_404(selectors.policy_list(), pk=policy_id)


@policies_router.patch("/{policy_id}", response=PolicyOut)
def policy_update(request, policy_id: int, payload: PolicyPatch):
    """Changes apply to new tickets; POST …/reapply to apply them to open tickets too."""
    policy = get_object_or_404(SlaPolicy, pk=policy_id)
    data, categories, organizations = _policy_data(
        payload.dict(exclude_unset=True, exclude={"version"})
    )
    services.policy_update(
        actor=request.user,
        policy=policy,
        expected_version=payload.version,
        changes=data,
        categories=categories,
        organizations=organizations,
    )
    return selectors.policy_list().get(pk=policy.pk)


@policies_router.post("/{policy_id}/reapply", response=ReapplyOut)
def policy_reapply(request, policy_id: int):
    """Apply the policy's current targets to its open tickets (recorded and audited)."""
    policy = get_object_or_404(SlaPolicy, pk=policy_id)
    return {"tickets": services.policy_reapply(actor=request.user, policy=policy)}


@policies_router.delete("/{policy_id}", response={204: None})
def policy_delete(request, policy_id: int):
    services.policy_delete(actor=request.user, policy=get_object_or_404(SlaPolicy, pk=policy_id))
    return Status(204, None)


# --- escalation rules -----------------------------------------------------------------------


class RuleOut(Schema):
    id: int
    version: int
    name: str
    is_active: bool
    policy_id: int | None
    target: str
    at_percent: int | None = Field(description="Empty: fires at the breach.")
    action: str
    team_id: int | None
    tag: str
    firing_count: int = 0


class RuleIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    is_active: bool = True
    policy_id: int | None = None
    target: TargetName
    at_percent: int | None = Field(None, ge=1, le=1000)
    action: Literal["notify_assignee", "notify_lead", "reassign_team", "raise_priority", "add_tag"]
    team_id: int | None = None
    tag: str = Field("", max_length=50)


class RulePatch(Schema):
    version: int
    name: str | None = Field(None, min_length=1, max_length=100)
    is_active: bool | None = None
    policy_id: int | None = None
    target: TargetName | None = None
    at_percent: int | None = Field(None, ge=1, le=1000)
    action: (
        Literal["notify_assignee", "notify_lead", "reassign_team", "raise_priority", "add_tag"]
        | None
    ) = None
    team_id: int | None = None
    tag: str | None = Field(None, max_length=50)


def _rule_data(data: dict) -> dict:
    if "policy_id" in data:
        pk = data.pop("policy_id")
        data["policy"] = _objects(SlaPolicy, [pk], "policy_id")[0] if pk else None
    if "team_id" in data:
        pk = data.pop("team_id")
        data["team"] = _objects(Team, [pk], "team_id")[0] if pk else None
    return data


@rules_router.get("", response=list[RuleOut])
@paginate(PageNumberless)
def rule_list(request):
    require_perm(request.user, "sla.view_escalationrule")
    return selectors.rule_list()


@rules_router.post("", response={201: RuleOut})
def rule_create(request, payload: RuleIn):
    rule = services.rule_create(actor=request.user, **_rule_data(payload.dict()))
    return Status(201, selectors.rule_list().get(pk=rule.pk))


@rules_router.patch("/{rule_id}", response=RuleOut)
def rule_update(request, rule_id: int, payload: RulePatch):
    rule = get_object_or_404(EscalationRule, pk=rule_id)
    changes = _rule_data(payload.dict(exclude_unset=True, exclude={"version"}))
    services.rule_update(
        actor=request.user, rule=rule, expected_version=payload.version, changes=changes
    )
    return selectors.rule_list().get(pk=rule.pk)


@rules_router.delete("/{rule_id}", response={204: None})
def rule_delete(request, rule_id: int):
    services.rule_delete(actor=request.user, rule=get_object_or_404(EscalationRule, pk=rule_id))
    return Status(204, None)


# --- a ticket's clocks ----------------------------------------------------------------------


class PausedIntervalOut(Schema):
    start: dt.datetime
    end: dt.datetime | None


class ClockOut(Schema):
    kind: str
    label: str
    minutes: int
    business_time: bool
    state: str = Field(description="running, paused, met or stopped")
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
    paused_intervals: list[PausedIntervalOut]
    cycles: int
    breach_reason: str = Field("", description="Why it was missed (see docs/sla.md), or empty")
    breach_reason_label: str = ""
    breach_note: str = ""


class TicketSlaOut(Schema):
    ticket_id: int
    policy_id: int | None
    policy_name: str | None
    calendar_name: str | None
    evaluated_at: dt.datetime
    clocks: list[ClockOut]


@tickets_router.get("/{ticket_id}/sla", response=TicketSlaOut)
def ticket_sla(request, ticket_id: int):
    """The ticket's SLA clocks evaluated now: targets, due, remaining, breached, paused."""
    require_perm(request.user, VIEW_TICKET)
    ticket = get_object_or_404(Ticket, pk=ticket_id)
    require_ticket_access(request.user, ticket, work=False)
    sla = selectors.ticket_sla(ticket)
    now = timezone.now()
    return {
        "ticket_id": ticket.pk,
        "policy_id": sla.policy_id if sla else None,
        "policy_name": sla.policy.name if sla and sla.policy else None,
        "calendar_name": sla.calendar.name if sla and sla.calendar else None,
        "evaluated_at": now,
        "clocks": selectors.ticket_clocks(ticket, now=now),
    }


@tickets_router.post("/{ticket_id}/sla/onsite-visit", response=ClockOut)
def ticket_onsite_visit(request, ticket_id: int):
    """Record the on-site visit (meets the on-site target)."""
    ticket = get_object_or_404(Ticket, pk=ticket_id)
    services.sla_onsite_visited(actor=request.user, ticket=ticket)
    return next(c for c in selectors.ticket_clocks(ticket) if c.kind == TargetKind.ONSITE)


class BreachReasonIn(Schema):
    reason: BreachReason
    note: str = Field("", max_length=2000)


@tickets_router.put("/{ticket_id}/sla/{kind}/breach-reason", response=ClockOut)
def ticket_breach_reason(request, ticket_id: int, kind: TargetName, payload: BreachReasonIn):
    """Record why a breached target was missed (422 when it is not breached)."""
    ticket = get_object_or_404(Ticket, pk=ticket_id)
    services.sla_breach_reason_set(
        actor=request.user, ticket=ticket, kind=kind, reason=payload.reason, note=payload.note
    )
    return next(c for c in selectors.ticket_clocks(ticket) if c.kind == kind)


# --- reports --------------------------------------------------------------------------------


class ReportFilters(Schema):
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    group_by: Literal["policy", "team", "agent", "priority", "period", "reason"] = Field(
        "policy", description="reason: breached targets only, by recorded breach reason"
    )
    target: TargetName | None = None


class ReportRowOut(Schema):
    group: str
    target: str
    total: int
    achieved: int = Field(description="Met without a breach.")
    breached: int
    open: int = Field(description="Still running, not breached.")
    compliance: float | None = Field(description="achieved ÷ (achieved + breached) × 100")
    median_minutes: float | None
    p90_minutes: float | None


class ReportOut(Schema):
    group_by: str
    date_from: dt.date
    date_to: dt.date
    rows: list[ReportRowOut]


@reports_router.get("/sla", response=ReportOut)
def sla_report(request, filters: Query[ReportFilters]):
    """Compliance and time distribution (median, p90 of met targets, minutes) per group."""
    require_perm(request.user, VIEW_CONFIG)
    today = timezone.localdate()
    date_to = filters.date_to or today
    date_from = filters.date_from or date_to - dt.timedelta(days=29)
    if date_from > date_to:
        raise ValidationFailed(
            "date_from is after date_to.", fields={"date_from": "Must not be after date_to."}
        )
    return reporting.sla_report(
        date_from=date_from, date_to=date_to, group_by=filters.group_by, target=filters.target or ""
    )


ROUTERS = [
    ("calendars", calendars_router),
    ("sla-policies", policies_router),
    ("escalation-rules", rules_router),
    ("tickets", tickets_router),
    ("reports", reports_router),
]
