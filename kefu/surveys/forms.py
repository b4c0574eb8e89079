"""Forms of the survey builder and distribution pages (parsing only; services validate)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.surveys.models import Instrument, Metric, QuestionKind, SkipOperator


class SurveyCreateForm(forms.Form):
    instrument = forms.ChoiceField(label=_("Start from"), choices=Instrument.choices)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=200, required=False)


class SurveySettingsForm(forms.Form):
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=200, required=False)
    description_en = forms.CharField(
        label=_("Description (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    description_zh = forms.CharField(
        label=_("Description (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    anonymous = forms.BooleanField(label=_("Anonymous"), required=False)
    min_group_size = forms.IntegerField(label=_("Minimum group size"), min_value=1, max_value=100)
    follow_up_low_scores = forms.BooleanField(
        label=_("Open a follow-up ticket on low scores (CSAT 1–2, NPS 0–6)"), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


def _lines_to_options(text: str, *, with_dimension: bool = False) -> list[dict[str, str]]:
    """ "id | English | 中文 [| dimension]" per line → [{"id", "en", "zh"(, "dimension")}]."""
    options = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        parts += [""] * (4 - len(parts))
        option = {"id": parts[0], "en": parts[1] or parts[0], "zh": parts[2]}
        if with_dimension:
            option["dimension"] = parts[3]
        options.append(option)
    return options


def options_to_lines(options: list[dict], *, with_dimension: bool = False) -> str:
    keys = ("id", "en", "zh", "dimension") if with_dimension else ("id", "en", "zh")
    return "\n".join(" | ".join(str(o.get(k, "")) for k in keys).rstrip(" |") for o in options)


class SectionForm(forms.Form):
    title_en = forms.CharField(label=_("Section title (English)"), max_length=200, required=False)
    title_zh = forms.CharField(label=_("Section title (Chinese)"), max_length=200, required=False)


class QuestionForm(forms.Form):
    section = forms.TypedChoiceField(
        label=_("Section"), coerce=int, required=False, empty_value=None
    )
    kind = forms.ChoiceField(label=_("Type"), choices=QuestionKind.choices)
    text_en = forms.CharField(label=_("Question (English)"), max_length=500, required=False)
    text_zh = forms.CharField(label=_("Question (Chinese)"), max_length=500, required=False)
    help_en = forms.CharField(label=_("Hint (English)"), max_length=300, required=False)
    help_zh = forms.CharField(label=_("Hint (Chinese)"), max_length=300, required=False)
    required = forms.BooleanField(label=_("Required"), required=False)
    code = forms.SlugField(label=_("Code"), max_length=30, required=False)
    metric = forms.ChoiceField(label=_("Metric"), choices=Metric.choices, required=False)
    dimension = forms.CharField(label=_("Dimension"), max_length=40, required=False)
    weight = forms.FloatField(label=_("Importance weight"), min_value=0, initial=1, required=False)
    choices = forms.CharField(
        label=_("Options (one per line: id | English | 中文)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    items = forms.CharField(
        label=_("Matrix rows (one per line: id | English | 中文 | dimension)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    columns = forms.CharField(
        label=_("Matrix columns (one per line: id | English | 中文)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    scale_kind = forms.ChoiceField(
        label=_("Matrix scale"),
        choices=[(k, QuestionKind(k).label) for k in ("likert5", "likert7", "scale10")],
        initial="likert7",
        required=False,
    )
    show_if_question = forms.TypedChoiceField(
        label=_("Show only if question"), coerce=int, required=False, empty_value=None
    )
    show_if_operator = forms.ChoiceField(
        label=_("is"), choices=SkipOperator.choices, required=False
    )
    show_if_value = forms.FloatField(label=_("Value"), required=False)

    def __init__(self, *args, conditions=(), sections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [("", _("(no section)"))] + [
            (section.pk, section.title[:80]) for section in sections
        ]
        self.fields["show_if_question"].choices = [("", _("(always shown)"))] + [
            (q.pk, f"{n}. {q.text}"[:80]) for n, q in conditions
        ]

    def service_fields(self, survey) -> dict:
        data = dict(self.cleaned_data)
        data["choices"] = _lines_to_options(data["choices"])
        data["items"] = _lines_to_options(data["items"], with_dimension=True)
        data["columns"] = _lines_to_options(data["columns"])
        section = data.pop("section")
        data["section"] = survey.sections.filter(pk=section).first() if section else None
        condition = data.pop("show_if_question")
        data["show_if_question"] = (
            survey.questions.filter(pk=condition).first() if condition else None
        )
        if data["show_if_question"] is None:
            data["show_if_value"] = None
        data["metric"] = data["metric"] or ""
        data["weight"] = 1.0 if data["weight"] is None else data["weight"]
        data["scale_kind"] = data["scale_kind"] or "likert7"
        data["show_if_operator"] = data["show_if_operator"] or "le"
        return data


class InviteForm(forms.Form):
    customer_numbers = forms.CharField(
        label=_("Customer numbers (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    team = forms.TypedChoiceField(
        label=_("Or all members of team"), coerce=int, required=False, empty_value=None
    )
    expires_in_days = forms.IntegerField(
        label=_("Link valid for (days)"), min_value=1, max_value=365, initial=14
    )

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "—")] + [(t.pk, t.name) for t in teams]


class AutoRuleForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("Send automatically after a ticket is solved"), required=False
    )
    delay_minutes = forms.IntegerField(label=_("Delay (minutes)"), min_value=0, max_value=43200)
    sampling_percent = forms.IntegerField(label=_("Sampling rate (%)"), min_value=0, max_value=100)
    min_days_between = forms.IntegerField(
        label=_("At most one survey per customer every (days)"), min_value=0, max_value=3650
    )
    expires_after_days = forms.IntegerField(
        label=_("Link valid for (days)"), min_value=1, max_value=365
    )
