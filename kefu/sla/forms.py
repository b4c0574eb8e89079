"""Forms of the SLA admin pages (parsing only; validation of meaning is in the services)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Team
from kefu.customers.models import Customer, CustomerKind
from kefu.sla.models import (
    TARGET_KINDS,
    BreachReason,
    BusinessCalendar,
    EscalationRule,
    SlaPolicy,
    TargetKind,
)
from kefu.tickets.models import Category, Channel, Priority, TicketKind

WEEKDAYS = (
    ("mon", _("Monday")),
    ("tue", _("Tuesday")),
    ("wed", _("Wednesday")),
    ("thu", _("Thursday")),
    ("fri", _("Friday")),
    ("sat", _("Saturday")),
    ("sun", _("Sunday")),
)
_SPAN = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–~]\s*(\d{1,2}:\d{2})\s*$")
TIERS = [("A", _("Tier A")), ("B", _("Tier B")), ("C", _("Tier C")), ("D", _("Tier D"))]


def parse_spans(text: str) -> list[list[str]]:
    """ "09:00-12:00, 13:30-18:00" → [["09:00", "12:00"], ["13:30", "18:00"]]."""
    spans = []
    for part in [p for p in re.split(r"[,，;；]", text or "") if p.strip()]:
        match = _SPAN.match(part)
        if not match:
            raise forms.ValidationError(
                _("Write spans like 09:00-12:00, 13:30-18:00 (“%(part)s” is not).")
                % {"part": part.strip()}
            )
        spans.append([match.group(1).zfill(5), match.group(2).zfill(5)])
    return spans


def format_spans(spans) -> str:
    return ", ".join(f"{start}-{end}" for start, end in spans or [])


class CalendarForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    timezone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        initial="Asia/Shanghai",
        help_text=_("IANA name, e.g. Asia/Shanghai or Europe/London."),
    )
    always_open = forms.BooleanField(label=_("Open 24×7 (calendar time)"), required=False)
    holidays = forms.CharField(
        label=_("Holidays"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One date per line, e.g. 2026-10-01."),
    )
    makeup_days = forms.CharField(
        label=_("Make-up working days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One date per line; add a weekday to work its hours, e.g. 2026-10-10 fri."),
    )
    makeup_spans = forms.CharField(
        label=_("Make-up day hours"),
        required=False,
        help_text=_("Empty: Monday's hours."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in WEEKDAYS:
            self.fields[f"day_{key}"] = forms.CharField(
                label=label,
                required=False,
                help_text=_("e.g. 09:00-12:00, 13:30-18:00") if key == "mon" else "",
            )
        order = ["name", "timezone", "always_open", *[f"day_{k}" for k, _l in WEEKDAYS]]
        self.order_fields(order)

    @staticmethod
    def initial_from(calendar: BusinessCalendar) -> dict:
        initial = {
            "name": calendar.name,
            "timezone": calendar.timezone,
            "always_open": calendar.always_open,
            "holidays": "\n".join(calendar.holidays),
            "makeup_days": "\n".join(
                f"{d['date']} {d.get('as_weekday', '')}".strip() if isinstance(d, dict) else str(d)
                for d in calendar.makeup_days
            ),
            "makeup_spans": format_spans(calendar.makeup_spans),
        }
        for key, _label in WEEKDAYS:
            initial[f"day_{key}"] = format_spans(calendar.weekly.get(key))
        return initial

    def clean(self):
        data = super().clean()
        weekly = {}
        for key, _label in WEEKDAYS:
            try:
                spans = parse_spans(data.get(f"day_{key}", ""))
            except forms.ValidationError as exc:
                self.add_error(f"day_{key}", exc)
                continue
            if spans:
                weekly[key] = spans
        try:
            data["makeup_spans_list"] = parse_spans(data.get("makeup_spans", ""))
        except forms.ValidationError as exc:
            self.add_error("makeup_spans", exc)
        data["weekly"] = weekly
        data["holiday_list"] = [
            line.strip() for line in data.get("holidays", "").splitlines() if line.strip()
        ]
        makeup = []
        for line in data.get("makeup_days", "").splitlines():
            parts = line.split()
            if len(parts) == 1:
                makeup.append(parts[0])
            elif len(parts) == 2:
                makeup.append({"date": parts[0], "as_weekday": parts[1].lower()})
            elif parts:
                self.add_error("makeup_days", _("Write a date and, optionally, a weekday."))
        data["makeup_list"] = makeup
        return data

    def service_data(self) -> dict:
        data = self.cleaned_data
        if data["always_open"]:
            return {
                "name": data["name"],
                "timezone": data["timezone"],
                "always_open": True,
                "weekly": {},
                "holidays": [],
                "makeup_days": [],
                "makeup_spans": [],
            }
        return {
            "name": data["name"],
            "timezone": data["timezone"],
            "always_open": False,
            "weekly": data["weekly"],
            "holidays": data["holiday_list"],
            "makeup_days": data["makeup_list"],
            "makeup_spans": data["makeup_spans_list"],
        }


class HolidayImportForm(forms.Form):
    file = forms.FileField(
        label=_("Holiday file"),
        help_text=_(
            "CSV “date,kind,name” (kind: holiday or workday, 节假日 or 补班) or iCalendar (.ics)."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def file_format(self) -> str:
        name = self.cleaned_data["file"].name.lower()
        return "ics" if name.endswith((".ics", ".ical")) else "csv"


class PolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    calendar = forms.ModelChoiceField(
        label=_("Business calendar"), queryset=BusinessCalendar.objects.order_by("name")
    )
    priorities = forms.MultipleChoiceField(
        label=_("Priorities"),
        choices=Priority.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    kinds = forms.MultipleChoiceField(
        label=_("Kinds"),
        choices=TicketKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tiers = forms.MultipleChoiceField(
        label=_("Customer tiers"),
        choices=TIERS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"), queryset=Category.objects.filter(is_active=True), required=False
    )
    organizations = forms.ModelMultipleChoiceField(
        label=_("Organisations"),
        queryset=Customer.objects.filter(kind=CustomerKind.ORGANIZATION).order_by("name"),
        required=False,
    )
    on_hold_pauses = forms.BooleanField(label=_("On hold pauses the clocks"), required=False)
    status_message_after_minutes = forms.IntegerField(
        label=_("Send a status message after waiting (minutes)"), min_value=1, required=False
    )
    status_message_template = forms.CharField(
        label=_("Status message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Placeholders: {customer_name}, {ticket_id}, {subject}."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(TargetKind.choices)
        for kind in TARGET_KINDS:
            self.fields[f"{kind}_minutes"] = forms.IntegerField(
                label=_("%(target)s within (minutes)") % {"target": labels[kind]},
                min_value=1,
                required=False,
            )
            self.fields[f"{kind}_business"] = forms.BooleanField(
                label=_("in business time"), required=False, initial=kind != "onsite"
            )

    def condition_fields(self):
        return [
            self[name]
            for name in ("priorities", "kinds", "channels", "tiers", "categories", "organizations")
        ]

    def target_rows(self):
        labels = dict(TargetKind.choices)
        return [(labels[k], self[f"{k}_minutes"], self[f"{k}_business"]) for k in TARGET_KINDS]

    @staticmethod
    def initial_from(policy: SlaPolicy) -> dict:
        initial = {
            name: getattr(policy, name)
            for name in (
                "name",
                "is_active",
                "calendar",
                "priorities",
                "kinds",
                "channels",
                "tiers",
                "on_hold_pauses",
                "status_message_after_minutes",
                "status_message_template",
            )
        }
        initial["categories"] = list(policy.categories.all())
        initial["organizations"] = list(policy.organizations.all())
        for kind in TARGET_KINDS:
            initial[f"{kind}_minutes"] = getattr(policy, f"{kind}_minutes")
            initial[f"{kind}_business"] = getattr(policy, f"{kind}_business")
        return initial

    def service_data(self) -> tuple[dict, list, list]:
        data = dict(self.cleaned_data)
        categories = list(data.pop("categories"))
        organizations = list(data.pop("organizations"))
        return data, categories, organizations


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    target = forms.ChoiceField(label=_("Target"), choices=TargetKind.choices)
    at_percent = forms.IntegerField(
        label=_("At % of the target"),
        min_value=1,
        max_value=1000,
        required=False,
        help_text=_("Empty: at the breach."),
    )
    action = forms.ChoiceField(label=_("Action"), choices=EscalationRule.Action.choices)
    team = forms.ModelChoiceField(
        label=_("Team (for reassigning)"), queryset=Team.objects.order_by("name"), required=False
    )
    tag = forms.CharField(label=_("Tag (for tagging)"), max_length=50, required=False)
    policy = forms.ModelChoiceField(
        label=_("Only for policy"),
        queryset=SlaPolicy.objects.order_by("position"),
        required=False,
        empty_label=_("Every policy"),
    )

    @staticmethod
    def initial_from(rule: EscalationRule) -> dict:
        return {
            name: getattr(rule, name)
            for name in (
                "name",
                "is_active",
                "target",
                "at_percent",
                "action",
                "team",
                "tag",
                "policy",
            )
        }


class ReportForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    group_by = forms.ChoiceField(
        label=_("Group by"),
        required=False,
        choices=[
            ("policy", _("Policy")),
            ("team", _("Team")),
            ("agent", _("Agent")),
            ("priority", _("Priority")),
            ("period", _("Week")),
            ("reason", _("Breach reason")),
        ],
    )
    target = forms.ChoiceField(
        label=_("Target"), required=False, choices=[("", _("All targets")), *TargetKind.choices]
    )


class BreachReasonForm(forms.Form):
    kind = forms.ChoiceField(choices=TargetKind.choices, widget=forms.HiddenInput)
    reason = forms.ChoiceField(label=_("Why was it missed?"), choices=BreachReason.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
