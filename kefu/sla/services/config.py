"""Admin writes: business calendars, SLA policies (ordered) and escalation rules."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record, snapshot
from kefu.core.errors import Conflict, ValidationFailed
from kefu.core.versioning import update_versioned
from kefu.sla import calendar as core
from kefu.sla.models import (
    TARGET_KINDS,
    BusinessCalendar,
    EscalationRule,
    SlaPolicy,
)

MANAGE = "sla.manage_sla"
CALENDAR_FIELDS = ("name", "timezone", "always_open", "weekly", "holidays", "makeup_days")
CALENDAR_FIELDS_ALL = (*CALENDAR_FIELDS, "makeup_spans")
POLICY_FIELDS = (
    "name",
    "is_active",
    "calendar",
    "priorities",
    "kinds",
    "channels",
    "tiers",
    *(f"{kind}_{part}" for kind in TARGET_KINDS for part in ("minutes", "business")),
    "on_hold_pauses",
    "status_message_after_minutes",
    "status_message_template",
)
POLICY_M2M = ("categories", "organizations")
RULE_FIELDS = ("name", "is_active", "policy", "target", "at_percent", "action", "team", "tag")
CONDITION_CHOICES = {
    "priorities": ("low", "normal", "high", "urgent"),
    "kinds": ("inquiry", "request", "complaint", "praise"),
    "channels": ("email", "web", "phone", "chat", "wechat", "sms", "api", "other"),
    "tiers": ("A", "B", "C", "D"),
}


def require_manage(actor) -> None:
    """Only SLA administrators change calendars, policies and escalation rules."""
    if actor is None:
        return  # the system (demo loader, migrations)
    if not actor.is_authenticated or not actor.has_perm(MANAGE):
        raise PermissionDenied(_("Only administrators may change SLA settings."))


def calendar_core(calendar: BusinessCalendar) -> core.BusinessCalendar:
    """The pure calendar value of a row, cached per definition so the vectorised interval
    tables are built once per process (keyed by content: ids and versions repeat across
    databases and test runs)."""
    key = json.dumps(calendar.definition(), sort_keys=True)
    cached = _CORE_CACHE.get(key)
    if cached is None:
        cached = core.BusinessCalendar.from_dict(calendar.definition())
        if len(_CORE_CACHE) > 256:
            _CORE_CACHE.clear()
        _CORE_CACHE[key] = cached
    return cached


_CORE_CACHE: dict[str, core.BusinessCalendar] = {}


def _validate_calendar(calendar: BusinessCalendar) -> None:
    try:
        calendar.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise ValidationFailed(_("The calendar is not valid."), fields=exc.message_dict) from exc
    try:
        core.BusinessCalendar.from_dict(calendar.definition())
    except (ValueError, TypeError, KeyError) as exc:
        field = "timezone" if "zone" in str(exc).lower() else "weekly"
        raise ValidationFailed(_(str(exc)), fields={field: _(str(exc))}) from exc
    clash = BusinessCalendar.objects.filter(name=calendar.name).exclude(pk=calendar.pk)
    if clash.exists():
        raise ValidationFailed(
            _("A calendar with this name exists."), fields={"name": _("Name already used.")}
        )


@transaction.atomic
def calendar_create(*, actor, **data: Any) -> BusinessCalendar:
    """Create a business calendar; the definition is validated by the pure calendar model."""
    require_manage(actor)
    unknown = set(data) - set(CALENDAR_FIELDS_ALL)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields."), fields={k: _("Unknown field.") for k in unknown}
        )
    calendar = BusinessCalendar(**data)
    _validate_calendar(calendar)
    calendar.save()
    audit_record(
        actor=actor,
        action="sla.calendar_created",
        obj=calendar,
        changes={k: [None, v] for k, v in snapshot(calendar, CALENDAR_FIELDS_ALL).items()},
    )
    return calendar


@transaction.atomic
def calendar_update(
    *, actor, calendar: BusinessCalendar, expected_version: int, changes: dict[str, Any]
) -> BusinessCalendar:
    """Change a calendar (stale version: 409). Open tickets' clocks use it from their next
    recomputation; due times already reached are not rewritten until then."""
    require_manage(actor)
    unknown = set(changes) - set(CALENDAR_FIELDS_ALL)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields."), fields={k: _("Unknown field.") for k in unknown}
        )
    before = snapshot(calendar, list(changes))
    probe = BusinessCalendar.objects.get(pk=calendar.pk)
    for name, value in changes.items():
        setattr(probe, name, value)
    _validate_calendar(probe)
    update_versioned(calendar, expected_version=expected_version, changes=changes)
    after = snapshot(calendar, list(changes))
    audit_record(
        actor=actor,
        action="sla.calendar_updated",
        obj=calendar,
        changes={k: [before[k], after[k]] for k in changes if before[k] != after[k]},
    )
    return calendar


@transaction.atomic
def calendar_import_holidays(
    *, actor, calendar: BusinessCalendar, expected_version: int, data: bytes, file_format: str
) -> BusinessCalendar:
    """Merge a holiday / make-up day file (CSV "date,kind[,name]" or iCalendar) into the
    calendar. Errors name the line; nothing is stored when any line is wrong."""
    require_manage(actor)
    if calendar.always_open:
        raise ValidationFailed(
            _("A 24×7 calendar has no holidays."), fields={"file": _("24×7 calendar.")}
        )
    try:
        if file_format == "ics":
            entries = core.parse_holiday_ics(data)
        else:
            entries = core.parse_holiday_csv(data)
        merged = core.apply_holiday_entries(calendar_core(calendar), entries)
    except ValueError as exc:
        raise ValidationFailed(str(exc), fields={"file": str(exc)}) from exc
    definition = merged.to_dict()
    return calendar_update(
        actor=actor,
        calendar=calendar,
        expected_version=expected_version,
        changes={
            "holidays": definition.get("holidays", []),
            "makeup_days": definition.get("makeup_days", []),
        },
    )


@transaction.atomic
def calendar_delete(*, actor, calendar: BusinessCalendar) -> None:
    require_manage(actor)
    if SlaPolicy.objects.filter(calendar=calendar).exists():
        raise Conflict(
            _("Policies use this calendar; give them another calendar first."),
            code="in_use",
            fields={"calendar": _("In use.")},
        )
    audit_record(actor=actor, action="sla.calendar_deleted", obj=calendar)
    calendar.delete()


def _clean_conditions(data: dict[str, Any]) -> None:
    for field, allowed in CONDITION_CHOICES.items():
        if field not in data:
            continue
        values = data[field] or []
        if not isinstance(values, list) or any(v not in allowed for v in values):
            raise ValidationFailed(
                _("Unknown value in %(field)s.") % {"field": field},
                fields={field: _("Choose from: %s") % ", ".join(allowed)},
            )
        data[field] = sorted(set(values), key=allowed.index)


def _validate_policy(policy: SlaPolicy) -> None:
    try:
        policy.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise ValidationFailed(_("The policy is not valid."), fields=exc.message_dict) from exc
    if not policy.targets():
        raise ValidationFailed(
            _("Set at least one target."),
            fields={"first_response_minutes": _("Set at least one target.")},
        )
    for kind in TARGET_KINDS:
        minutes = getattr(policy, f"{kind}_minutes")
        if minutes is not None and minutes < 1:
            raise ValidationFailed(
                _("A target is at least one minute."),
                fields={f"{kind}_minutes": _("At least 1.")},
            )
    if policy.status_message_after_minutes and not policy.status_message_template.strip():
        raise ValidationFailed(
            _("Write the status message, or clear its waiting time."),
            fields={"status_message_template": _("This field is required.")},
        )
    if SlaPolicy.objects.filter(name=policy.name).exclude(pk=policy.pk).exists():
        raise ValidationFailed(
            _("A policy with this name exists."), fields={"name": _("Name already used.")}
        )


@transaction.atomic
def policy_create(
    *, actor, categories=(), organizations=(), position: int | None = None, **data: Any
) -> SlaPolicy:
    """Add a policy at the end of the ordered list (or at `position`)."""
    require_manage(actor)
    unknown = set(data) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields."), fields={k: _("Unknown field.") for k in unknown}
        )
    _clean_conditions(data)
    if position is None:
        position = (SlaPolicy.objects.aggregate(m=Max("position"))["m"] or 0) + 10
    policy = SlaPolicy(position=position, **data)
    _validate_policy(policy)
    policy.save()
    policy.categories.set(categories)
    policy.organizations.set(organizations)
    audit_record(
        actor=actor,
        action="sla.policy_created",
        obj=policy,
        changes={k: [None, v] for k, v in snapshot(policy, POLICY_FIELDS).items()},
    )
    return policy


@transaction.atomic
def policy_update(
    *,
    actor,
    policy: SlaPolicy,
    expected_version: int,
    changes: dict[str, Any],
    categories=None,
    organizations=None,
) -> SlaPolicy:
    """Change a policy. New tickets get the new targets; open tickets keep the targets they
    were given until an admin runs `policy_reapply`."""
    require_manage(actor)
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields."), fields={k: _("Unknown field.") for k in unknown}
        )
    changes = dict(changes)
    _clean_conditions(changes)
    before = snapshot(policy, list(changes))
    probe = SlaPolicy.objects.get(pk=policy.pk)
    for name, value in changes.items():
        setattr(probe, name, value)
    _validate_policy(probe)
    update_versioned(policy, expected_version=expected_version, changes=changes)
    diff = {k: [before[k], v] for k, v in snapshot(policy, list(changes)).items() if before[k] != v}
    for name, values in (("categories", categories), ("organizations", organizations)):
        if values is not None:
            old = sorted(getattr(policy, name).values_list("pk", flat=True))
            getattr(policy, name).set(values)
            new = sorted(getattr(policy, name).values_list("pk", flat=True))
            if old != new:
                diff[name] = [old, new]
    audit_record(actor=actor, action="sla.policy_updated", obj=policy, changes=diff)
    return policy


@transaction.atomic
def policy_reorder(*, actor, policy_ids: list[int]) -> list[SlaPolicy]:
    """Set the matching order: `policy_ids` lists every policy, first match first."""
    require_manage(actor)
    policies = {p.pk: p for p in SlaPolicy.objects.select_for_update()}
    if sorted(policy_ids) != sorted(policies) or len(set(policy_ids)) != len(policy_ids):
        raise ValidationFailed(
            _("List every policy exactly once."),
            fields={"policy_ids": _("List every policy exactly once.")},
        )
    before = [p.pk for p in sorted(policies.values(), key=lambda p: (p.position, p.pk))]
    ordered = []
    for index, pk in enumerate(policy_ids):
        policy = policies[pk]
        policy.position = (index + 1) * 10
        ordered.append(policy)
    SlaPolicy.objects.bulk_update(ordered, ["position"])
    audit_record(
        actor=actor,
        action="sla.policies_reordered",
        object_type="sla.slapolicy",
        object_id="*",
        object_label=_("SLA policies"),
        changes={"order": [before, list(policy_ids)]},
    )
    return ordered


@transaction.atomic
def policy_delete(*, actor, policy: SlaPolicy) -> None:
    """Remove a policy; tickets that used it keep their clocks (their snapshot of the targets)."""
    require_manage(actor)
    audit_record(actor=actor, action="sla.policy_deleted", obj=policy)
    policy.delete()


def _validate_rule(rule: EscalationRule) -> None:
    try:
        rule.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise ValidationFailed(_("The rule is not valid."), fields=exc.message_dict) from exc
    if rule.at_percent is not None and not 1 <= rule.at_percent <= 1000:
        raise ValidationFailed(
            _("Use a percentage between 1 and 1000, or leave it empty for the breach."),
            fields={"at_percent": _("Between 1 and 1000.")},
        )
    if rule.action == EscalationRule.Action.REASSIGN_TEAM and rule.team_id is None:
        raise ValidationFailed(
            _("Choose the team to reassign to."), fields={"team": _("This field is required.")}
        )
    if rule.action == EscalationRule.Action.ADD_TAG and not rule.tag.strip():
        raise ValidationFailed(
            _("Name the tag to add."), fields={"tag": _("This field is required.")}
        )
    if EscalationRule.objects.filter(name=rule.name).exclude(pk=rule.pk).exists():
        raise ValidationFailed(
            _("A rule with this name exists."), fields={"name": _("Name already used.")}
        )


def _refresh_alerts_after_rule_change() -> None:
    from kefu.sla.services.clocks import sla_refresh_open

    sla_refresh_open()


@transaction.atomic
def rule_create(*, actor, **data: Any) -> EscalationRule:
    require_manage(actor)
    unknown = set(data) - set(RULE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields."), fields={k: _("Unknown field.") for k in unknown}
        )
    rule = EscalationRule(**data)
    _validate_rule(rule)
    rule.save()
    audit_record(
        actor=actor,
        action="sla.escalation_rule_created",
        obj=rule,
        changes={k: [None, v] for k, v in snapshot(rule, RULE_FIELDS).items()},
    )
    _refresh_alerts_after_rule_change()
    return rule


@transaction.atomic
def rule_update(
    *, actor, rule: EscalationRule, expected_version: int, changes: dict[str, Any]
) -> EscalationRule:
    require_manage(actor)
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields."), fields={k: _("Unknown field.") for k in unknown}
        )
    before = snapshot(rule, list(changes))
    probe = EscalationRule.objects.get(pk=rule.pk)
    for name, value in changes.items():
        setattr(probe, name, value)
    _validate_rule(probe)
    update_versioned(rule, expected_version=expected_version, changes=changes)
    diff = {k: [before[k], v] for k, v in snapshot(rule, list(changes)).items() if before[k] != v}
    audit_record(actor=actor, action="sla.escalation_rule_updated", obj=rule, changes=diff)
    _refresh_alerts_after_rule_change()
    return rule


@transaction.atomic
def rule_delete(*, actor, rule: EscalationRule) -> None:
    require_manage(actor)
    audit_record(actor=actor, action="sla.escalation_rule_deleted", obj=rule)
    rule.delete()
