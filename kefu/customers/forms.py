from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.customers.models import (
    SIX_C,
    ContactKind,
    Customer,
    CustomerKind,
    ImportKind,
    ImportMode,
    Tier,
)

SCORE_CHOICES = [(i, str(i)) for i in range(1, 6)]
SIX_C_LABELS = {
    "character": _("Character"),
    "capacity": _("Capacity"),
    "capital": _("Capital"),
    "collateral": _("Collateral"),
    "condition": _("Condition"),
    "continuity": _("Continuity"),
}
SIX_C_HELP = {
    "character": _("Honesty and willingness to pay."),
    "capacity": _("Ability to pay from income or cash flow."),
    "capital": _("Financial strength and net worth."),
    "collateral": _("Security or guarantees offered."),
    "condition": _("Economic and industry conditions."),
    "continuity": _("Stability and length of the relationship."),
}


class CustomerForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=CustomerKind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    organization = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Customer.objects.active().organizations().order_by("name"),
        required=False,
    )
    tier = forms.ChoiceField(
        label=_("Tier"), choices=[("", _("No tier")), *Tier.choices], required=False
    )
    is_vip = forms.BooleanField(label=_("VIP"), required=False)
    language = forms.CharField(label=_("Language"), max_length=10, required=False)
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separate tags with commas.")
    )
    mobile = forms.CharField(label=_("Mobile"), required=False, max_length=50)
    email = forms.CharField(label=_("Email"), required=False, max_length=300)
    wechat = forms.CharField(label=_("WeChat"), required=False, max_length=60)

    def tag_names(self) -> list[str]:
        raw = self.cleaned_data.get("tags") or ""
        return [t.strip() for t in raw.replace("，", ",").split(",") if t.strip()]


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)
    value = forms.CharField(label=_("Value"), max_length=300)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))


class CreditRatingForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in reversed(SIX_C):
            self.fields = {
                name: forms.TypedChoiceField(
                    label=SIX_C_LABELS[name],
                    help_text=SIX_C_HELP[name],
                    choices=SCORE_CHOICES,
                    coerce=int,
                    initial=3,
                    widget=forms.RadioSelect,
                ),
                **self.fields,
            }

    def scores(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in SIX_C}


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKind.choices)
    mode = forms.ChoiceField(label=_("If some rows are not valid"), choices=ImportMode.choices)
    file = forms.FileField(
        label=_("File"), help_text=_("CSV (UTF-8 or GB18030) or Excel .xlsx, first row = headings.")
    )
