"""Forms of the workforce pages; each names the field at fault in its errors."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Team
from kefu.workforce.models import (
    PresenceReason,
    PresenceState,
    Queue,
    QueueChannel,
    Skill,
)

INTERVALS = [(15, _("15 minutes")), (30, _("30 minutes")), (60, _("60 minutes"))]


def _percent(label, initial, minimum=1, maximum=99.9, required=True, help_text=""):
    return forms.FloatField(
        label=label,
        initial=initial,
        min_value=minimum,
        max_value=maximum,
        required=required,
        help_text=help_text,
    )


class StaffingForm(forms.Form):
    volume = forms.FloatField(label=_("Contacts per interval"), initial=100, min_value=0)
    interval_minutes = forms.TypedChoiceField(
        label=_("Interval"), choices=INTERVALS, coerce=int, initial=30
    )
    aht_s = forms.FloatField(
        label=_("Average handling time (s)"), initial=180, min_value=1, max_value=36_000
    )
    target_percent = _percent(_("Service-level target (%)"), 80)
    answer_s = forms.FloatField(label=_("Answer time (s)"), initial=20, min_value=0)
    shrinkage_percent = _percent(_("Shrinkage (%)"), 30, minimum=0, maximum=95)
    max_occupancy_percent = _percent(
        _("Maximum occupancy (%)"), None, minimum=10, maximum=100, required=False
    )
    patience_s = forms.FloatField(
        label=_("Mean patience (s), for Erlang A"), required=False, min_value=1
    )

    def clean_volume(self):
        value = self.cleaned_data["volume"]
        if value > 1_000_000:
            raise forms.ValidationError(_("At most 1,000,000 contacts per interval."))
        return value


class ForecastForm(forms.Form):
    METHODS = [
        ("profile", _("Weekly × intraday profile with trend")),
        ("holt_winters", _("Holt–Winters")),
        ("auto", _("Automatic")),
    ]
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=Queue.objects.filter(is_active=True), required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel (without a queue)"),
        choices=[("", _("All channels")), *QueueChannel.choices],
        required=False,
    )
    source = forms.ChoiceField(
        label=_("History from"),
        choices=[
            ("auto", _("Call records if any, else tickets")),
            ("tickets", _("Tickets")),
            ("calls", _("Call records")),
        ],
        initial="auto",
    )
    weeks = forms.IntegerField(label=_("Weeks of history"), initial=8, min_value=2, max_value=104)
    interval_minutes = forms.TypedChoiceField(
        label=_("Interval"), choices=INTERVALS, coerce=int, initial=30
    )
    horizon_days = forms.IntegerField(
        label=_("Forecast days"), initial=7, min_value=1, max_value=28
    )
    holdout_days = forms.IntegerField(label=_("Holdout days"), initial=7, min_value=0, max_value=28)
    method = forms.ChoiceField(label=_("Method"), choices=METHODS, initial="profile")
    aht_s = forms.FloatField(
        label=_("Average handling time (s)"), required=False, min_value=1, max_value=36_000
    )
    target_percent = _percent(_("Service-level target (%)"), 80)
    answer_s = forms.FloatField(label=_("Answer time (s)"), initial=20, min_value=0)
    shrinkage_percent = _percent(_("Shrinkage (%)"), 30, minimum=0, maximum=95)
    scheduled_agents = forms.IntegerField(
        label=_("Agents scheduled per interval"), required=False, min_value=0, max_value=10_000
    )
    holidays = forms.CharField(
        label=_("Holidays (YYYY-MM-DD, one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_holidays(self):
        days = []
        for line in self.cleaned_data["holidays"].replace(",", "\n").splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                days.append(dt.date.fromisoformat(line))
            except ValueError as exc:
                raise forms.ValidationError(
                    _("Not a date: %(value)s"), params={"value": line}
                ) from exc
        return days


class SimulationForm(forms.Form):
    DISTRIBUTIONS = [("exponential", _("Exponential")), ("lognormal", _("Lognormal"))]
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    rate_per_hour = forms.FloatField(
        label=_("Arrivals per hour"), initial=200, min_value=0, max_value=1_000_000
    )
    aht_s = forms.FloatField(
        label=_("Average handling time (s)"), initial=180, min_value=1, max_value=36_000
    )
    service_distribution = forms.ChoiceField(
        label=_("Handling-time distribution"), choices=DISTRIBUTIONS, initial="exponential"
    )
    service_cv = forms.FloatField(
        label=_("Coefficient of variation (lognormal)"), initial=1.0, min_value=0.05, max_value=5
    )
    patience_s = forms.FloatField(
        label=_("Mean patience (s); empty = nobody abandons"),
        initial=120,
        required=False,
        min_value=1,
    )
    agents = forms.IntegerField(label=_("Agents"), initial=12, min_value=1, max_value=5000)
    duration_h = forms.FloatField(
        label=_("Duration (hours)"), initial=4, min_value=0.25, max_value=168
    )
    interval_min = forms.TypedChoiceField(
        label=_("Interval"), choices=INTERVALS, coerce=int, initial=30
    )
    answer_s = forms.FloatField(label=_("Answer time (s)"), initial=20, min_value=0)
    surge_at_min = forms.FloatField(label=_("Surge starts (minute)"), required=False, min_value=0)
    surge_rate_per_hour = forms.FloatField(
        label=_("Arrivals per hour during the surge"), required=False, min_value=0
    )
    surge_end_min = forms.FloatField(label=_("Surge ends (minute)"), required=False, min_value=0)
    plan_extra_agents = forms.IntegerField(
        label=_("Plan: extra agents"), initial=0, min_value=0, max_value=5000
    )
    plan_extra_after_min = forms.FloatField(
        label=_("Plan: they join after (minutes)"), initial=0, min_value=0
    )
    plan_deflection_percent = forms.FloatField(
        label=_("Plan: broadcast deflects (% of arrivals)"), initial=0, min_value=0, max_value=100
    )
    plan_deflection_after_min = forms.FloatField(
        label=_("Plan: broadcast posted after (minutes)"), initial=0, min_value=0
    )
    plan_overflow_agents = forms.IntegerField(
        label=_("Plan: backup agents on an overflow queue"), initial=0, min_value=0, max_value=5000
    )
    plan_overflow_after_wait_s = forms.FloatField(
        label=_("Plan: overflow after waiting (s)"), initial=60, min_value=0
    )
    seed = forms.IntegerField(label=_("Seed"), initial=1, min_value=0, max_value=2**62)
    replications = forms.IntegerField(
        label=_("Replications"), initial=10, min_value=2, max_value=200
    )

    def clean(self):
        data = super().clean()
        surge = [data.get("surge_at_min"), data.get("surge_rate_per_hour")]
        if any(v is not None for v in surge) and not all(v is not None for v in surge):
            self.add_error(
                "surge_rate_per_hour", _("Give both the surge start and its arrival rate.")
            )
        end = data.get("surge_end_min")
        if end is not None and data.get("surge_at_min") is not None and end <= data["surge_at_min"]:
            self.add_error("surge_end_min", _("The surge must end after it starts."))
        return data


class BuildOptionsForm(forms.Form):
    contacts_per_week = forms.FloatField(
        label=_("Contacts per week"), initial=6000, min_value=1, max_value=10_000_000
    )
    open_from = forms.IntegerField(
        label=_("Open from (hour)"), initial=8, min_value=0, max_value=23
    )
    open_until = forms.IntegerField(
        label=_("Open until (hour)"), initial=20, min_value=1, max_value=24
    )
    days_per_week = forms.IntegerField(
        label=_("Days per week"), initial=7, min_value=1, max_value=7
    )
    aht_s = forms.FloatField(label=_("Average handling time (s)"), initial=240, min_value=1)
    target_percent = _percent(_("Service-level target (%)"), 80)
    answer_s = forms.FloatField(label=_("Answer time (s)"), initial=20, min_value=0)
    shrinkage_percent = _percent(_("Shrinkage (%)"), 30, minimum=0, maximum=95)
    hourly_wage = forms.FloatField(label=_("Wage per agent-hour"), initial=45, min_value=0)
    self_seat = forms.FloatField(
        label=_("Self-built: seat cost per month"), initial=600, min_value=0
    )
    self_fixed = forms.FloatField(
        label=_("Self-built: platform and site per month"), initial=30000, min_value=0
    )
    self_minute = forms.FloatField(
        label=_("Self-built: telephony per minute"), initial=0.05, min_value=0
    )
    hosted_seat = forms.FloatField(
        label=_("Hosted: licence per seat and month"), initial=900, min_value=0
    )
    hosted_minute = forms.FloatField(label=_("Hosted: price per minute"), initial=0.08, min_value=0)
    outsourced_hour = forms.FloatField(
        label=_("Outsourced: price per agent-hour"), initial=75, min_value=0
    )
    outsourced_contact = forms.FloatField(
        label=_("Outsourced: price per contact"), initial=0, min_value=0
    )
    weight_cost = forms.FloatField(label=_("Weight: cost"), initial=40, min_value=0)
    weight_control = forms.FloatField(
        label=_("Weight: quality and control"), initial=30, min_value=0
    )
    weight_speed = forms.FloatField(label=_("Weight: speed to start"), initial=15, min_value=0)
    weight_flexibility = forms.FloatField(label=_("Weight: flexibility"), initial=15, min_value=0)

    def clean(self):
        data = super().clean()
        if (
            data.get("open_from") is not None
            and data.get("open_until") is not None
            and data["open_until"] <= data["open_from"]
        ):
            self.add_error("open_until", _("Closing must be after opening."))
        weights = [data.get(f"weight_{c}") for c in ("cost", "control", "speed", "flexibility")]
        if all(w is not None for w in weights) and sum(weights) <= 0:
            self.add_error("weight_cost", _("At least one criterion needs a positive weight."))
        return data


class QueueForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Queue
        fields = [
            "name",
            "channel",
            "team",
            "strategy",
            "required_skills",
            "target_service_level",
            "answer_seconds",
            "aht_seconds",
            "priority",
            "is_active",
        ]
        widgets = {"required_skills": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["required_skills"].queryset = Skill.objects.order_by("name")


class SkillForm(forms.Form):
    name = forms.CharField(label=_("Skill"), max_length=60)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)


class AgentSkillForm(forms.Form):
    agent = forms.IntegerField(widget=forms.HiddenInput)
    skill = forms.ModelChoiceField(label=_("Skill"), queryset=Skill.objects.order_by("name"))
    level = forms.IntegerField(label=_("Level (0 removes)"), min_value=0, max_value=5, initial=3)


class PresenceForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=PresenceState.choices)
    reason = forms.ChoiceField(label=_("Reason"), choices=PresenceReason.choices, required=False)
    capacity_phone = forms.IntegerField(label=_("Calls at once"), min_value=0, max_value=50)
    capacity_chat = forms.IntegerField(label=_("Chats at once"), min_value=0, max_value=50)
    capacity_email = forms.IntegerField(label=_("Emails at once"), min_value=0, max_value=50)

    def capacity(self) -> dict[str, int]:
        return {c: self.cleaned_data[f"capacity_{c}"] for c in ("phone", "chat", "email")}
