"""Forms of the knowledge pages (validation of shapes; the services validate the rest)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.knowledge.models import Category, Language, Visibility


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body_html = forms.CharField(
        label=_("Body"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "class": "kb-editor"}),
        help_text=_(
            "HTML is allowed (paragraphs, headings, lists, links, tables, images); "
            "scripts and styles are removed when you save."
        ),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=Visibility.choices,
        help_text=_("Public articles appear in the customer portal once published."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )
    review_by = forms.DateField(
        label=_("Review by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The owner is reminded when this date has passed."),
    )
    note = forms.CharField(label=_("Change note"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.select_related("parent").order_by(
            "parent__position", "parent_id", "position", "name"
        )


class ProblemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    state = forms.ChoiceField(label=_("Status"), choices=())
    root_cause_detail = forms.CharField(
        label=_("Root cause"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    workaround = forms.CharField(
        label=_("Workaround"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    standard_fix = forms.CharField(
        label=_("Standard fix"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        from kefu.tickets.models import Problem

        super().__init__(*args, **kwargs)
        self.fields["state"].choices = Problem.State.choices


class SynonymForm(forms.Form):
    words = forms.CharField(
        label=_("Words"),
        max_length=300,
        help_text=_("Separated by commas, e.g. 退款, 退钱, refund."),
    )
