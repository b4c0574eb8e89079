"""Forms of the quality pages (GET filters and POST inputs)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.quality.kpis import KPI_DEFINITIONS
from kefu.quality.models import SplitMethod, TargetLevel


def kpi_choices():
    return [(code, d.label) for code, d in KPI_DEFINITIONS.items()]


class PeriodForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"),
        choices=[("day", _("Day")), ("week", _("Week")), ("month", _("Month"))],
        initial="week",
    )
    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    team = forms.IntegerField(label=_("Team"), required=False, widget=forms.Select)
    agent = forms.IntegerField(label=_("Agent"), required=False, widget=forms.Select)

    @staticmethod
    def defaults() -> dict:
        today = timezone.localdate()
        return {"period": "week", "start": today - dt.timedelta(weeks=12), "end": today}

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end is before the start."))
            elif (end - start).days > 800:
                self.add_error("start", _("Choose at most about two years."))
        return data


class TargetForm(forms.Form):
    kpi = forms.ChoiceField(label=_("KPI"), choices=kpi_choices)
    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    value = forms.FloatField(label=_("Target"))


class DecomposeForm(forms.Form):
    method = forms.ChoiceField(label=_("Split"), choices=SplitMethod.choices)


class ActionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kpi = forms.ChoiceField(label=_("KPI"), choices=kpi_choices)
    due_date = forms.DateField(
        label=_("Due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    plan = forms.CharField(
        label=_("Plan"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class MysteryForm(forms.Form):
    ticket = forms.CharField(label=_("Ticket number"), max_length=30)
    shopper = forms.CharField(label=_("Mystery shopper"), max_length=150)
    scenario = forms.CharField(label=_("Scenario"), widget=forms.Textarea(attrs={"rows": 3}))


class CalibrationForm(forms.Form):
    ticket = forms.CharField(label=_("Ticket number"), max_length=30)
    name = forms.CharField(label=_("Name"), max_length=150, required=False)


LEVELS = TargetLevel
