"""Portal forms: sign-in, new request (with 5W2H for complaints), reply and rating."""

from __future__ import annotations

import mimetypes

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.tickets.models import TicketKind
from kefu.tickets.services.conversation import MAX_ATTACHMENT_BYTES, UploadedFile


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none were chosen)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files]
        for f in cleaned:
            if f.size > MAX_ATTACHMENT_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is larger than %(limit)d MB.")
                    % {"name": f.name, "limit": MAX_ATTACHMENT_BYTES // (1024 * 1024)}
                )
        return cleaned


def as_uploads(files) -> list[UploadedFile]:
    """Django's uploaded files as the tickets service's UploadedFile (type from the browser,
    or guessed from the name when the browser sends none); the service checks the content."""
    uploads = []
    for f in files:
        content_type = (f.content_type or "").split(";")[0].strip().lower()
        if not content_type or content_type == "application/octet-stream":
            content_type = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
        uploads.append(UploadedFile(filename=f.name, content_type=content_type, data=f.read()))
    return uploads


class PasswordLoginForm(forms.Form):
    login = forms.CharField(label=_("Email or username"), max_length=254)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    login.widget.attrs.update({"autocomplete": "username"})
    password.widget.attrs.update({"autocomplete": "current-password"})


class MagicLinkForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    email.widget.attrs.update({"autocomplete": "email", "autofocus": True})


class RequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What is it about?"), choices=TicketKind.choices, initial=TicketKind.INQUIRY
    )
    subject = forms.CharField(label=_("Subject"), max_length=250)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    w_what = forms.CharField(
        label=_("What happened?"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    w_why = forms.CharField(
        label=_("Why does it matter to you?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    w_who = forms.CharField(label=_("Who was involved?"), max_length=200, required=False)
    w_when = forms.CharField(label=_("When did it happen?"), max_length=100, required=False)
    w_where = forms.CharField(label=_("Where did it happen?"), max_length=200, required=False)
    w_how = forms.CharField(
        label=_("How did it happen?"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    w_how_much = forms.DecimalField(
        label=_("How much is involved? (CNY)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        required=False,
    )
    attachments = MultipleFileField(label=_("Attach files"))

    FIVE_W_TWO_H = ("w_what", "w_why", "w_who", "w_when", "w_where", "w_how", "w_how_much")

    def five_w_two_h_fields(self):
        return [self[name] for name in self.FIVE_W_TWO_H]


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(label=_("Attach files"))


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with the resolution?"),
        choices=[(i, str(i)) for i in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    confirmed = forms.BooleanField(
        label=_("Yes, my problem is solved"), required=False, initial=True
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
