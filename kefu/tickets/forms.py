"""Forms of the agent workspace. They parse input; the services validate and write."""

from __future__ import annotations

import re

from django import forms
from django.http import QueryDict
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Team, User
from kefu.accounts.roles import STAFF_ROLES
from kefu.tickets.models import (
    RESPONSE_KIND_CHOICES,
    Category,
    Channel,
    FollowUp,
    Priority,
    Remedy,
    RootCause,
    Severity,
    TicketKind,
    TicketStatus,
)

FIVE_W_TWO_H = ("w_what", "w_why", "w_who", "w_when", "w_where", "w_how", "w_how_much")
COMPLAINT_FIELDS = (
    "severity",
    "problem_statement",
    "problem_confirmed_by_customer",
    "problem_confirmed_by_company",
    "root_cause",
    "response_kinds",
    "customer_confirmed",
    *FIVE_W_TWO_H,
)


def staff_users():
    return (
        User.objects.filter(is_active=True, groups__name__in=[str(r) for r in STAFF_ROLES])
        .distinct()
        .order_by("display_name", "username")
    )


class QuickSelect(forms.Select):
    """A <select> built in Python, with the markup of Django's select template.

    Django renders each <option> through a template include; for the ticket page's agent, team
    and category lists that was a third of the page's CPU time. Option groups fall back to the
    template rendering.
    """

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)["widget"]
        groups = context["optgroups"]
        if any(group_name for group_name, _options, _index in groups):
            return super().render(name, value, attrs, renderer)
        options = "".join(
            format_html(
                '\n  <option value="{}"{}>{}</option>\n',
                str(option["value"]),
                _attrs(option["attrs"]),
                option["label"],
            )
            for _group, group_options, _index in groups
            for option in group_options
        )
        return mark_safe(
            f'<select name="{conditional_escape(context["name"])}"{_attrs(context["attrs"])}>'
            f"{options}\n</select>"
        )


def _attrs(attrs: dict) -> str:
    """Attributes as Django's attrs.html writes them: True → bare name, False → left out."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _read_choices_once(field: forms.ModelChoiceField) -> None:
    """Give a model choice field its options as a list, read with one plain query.

    Rendering a ModelChoiceField otherwise reads its queryset through `.iterator()` each time
    (on PostgreSQL a server-side cursor: three round trips). Validation still uses the queryset.
    """
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.choices = [*empty, *((obj.pk, field.label_from_instance(obj)) for obj in field.queryset)]


def _textarea(rows: int = 3):
    return forms.Textarea(attrs={"rows": rows})


def tag_names(text: str) -> list[str]:
    """'a, b，c' → ['a', 'b', 'c'] (ASCII and Chinese commas)."""
    return [t.strip() for t in text.replace("，", ",").split(",") if t.strip()]


class FiveWTwoHMixin(forms.Form):
    w_what = forms.CharField(label=_("What happened"), required=False, widget=_textarea(2))
    w_why = forms.CharField(
        label=_("Why it matters to the customer"), required=False, widget=_textarea(2)
    )
    w_who = forms.CharField(label=_("Who was involved"), required=False, max_length=200)
    w_when = forms.CharField(label=_("When it happened"), required=False, max_length=100)
    w_where = forms.CharField(label=_("Where it happened"), required=False, max_length=200)
    w_how = forms.CharField(label=_("How it happened"), required=False, widget=_textarea(2))
    w_how_much = forms.DecimalField(
        label=_("How much (amount involved)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
    )


class TicketCreateForm(FiveWTwoHMixin):
    customer = forms.IntegerField(
        label=_("Customer"),
        widget=forms.HiddenInput,
        error_messages={"required": _("Choose the customer first.")},
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=TicketKind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=250)
    description = forms.CharField(label=_("Description"), required=False, widget=_textarea(6))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial="phone")
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=[("", "—"), *Severity.choices], required=False
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separate with commas."))
    problem_statement = forms.CharField(
        label=_("Problem statement (the customer's words)"), required=False, widget=_textarea(3)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True).select_related(
            "parent"
        )
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["assignee"].queryset = staff_users()


class PropertiesForm(FiveWTwoHMixin):
    """The right panel of the ticket page. Only changed fields are sent to ticket_update."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    subject = forms.CharField(label=_("Subject"), max_length=250)
    kind = forms.ChoiceField(label=_("Kind"), choices=TicketKind.choices, widget=QuickSelect)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, widget=QuickSelect)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False, widget=QuickSelect
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, widget=QuickSelect
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False, widget=QuickSelect
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separate with commas."))
    resolution = forms.CharField(label=_("Resolution"), required=False, widget=_textarea(3))
    severity = forms.ChoiceField(
        label=_("Severity"),
        choices=[("", "—"), *Severity.choices],
        required=False,
        widget=QuickSelect,
    )
    problem_statement = forms.CharField(
        label=_("Problem statement"), required=False, widget=_textarea(3)
    )
    problem_confirmed_by_customer = forms.BooleanField(
        label=_("Customer confirmed the problem"), required=False
    )
    problem_confirmed_by_company = forms.BooleanField(
        label=_("We confirmed the problem"), required=False
    )
    root_cause = forms.ModelChoiceField(
        label=_("Root cause"), queryset=RootCause.objects.none(), required=False, widget=QuickSelect
    )
    response_kinds = forms.MultipleChoiceField(
        label=_("4R responses"),
        choices=RESPONSE_KIND_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    customer_confirmed = forms.BooleanField(
        label=_("Customer confirmed the outcome"), required=False
    )

    def __init__(self, *args, ticket, **kwargs):
        kwargs.setdefault("initial", self.initial_for(ticket))
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True).select_related(
            "parent"
        )
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["assignee"].queryset = staff_users()
        self.fields["root_cause"].queryset = RootCause.objects.filter(is_active=True)
        if not ticket.is_complaint:
            for name in COMPLAINT_FIELDS:
                del self.fields[name]
        for name in ("category", "team", "assignee", "root_cause"):
            if name in self.fields:
                _read_choices_once(self.fields[name])

    @staticmethod
    def initial_for(ticket) -> dict:
        initial = {
            name: getattr(ticket, name)
            for name in ("version", "subject", "kind", "priority", "resolution", "severity")
        }
        initial.update(
            category=ticket.category_id,
            team=ticket.team_id,
            assignee=ticket.assignee_id,
            root_cause=ticket.root_cause_id,
            tags=", ".join(t.name for t in ticket.tags.all()),
            response_kinds=list(ticket.response_kinds),
            problem_statement=ticket.problem_statement,
            problem_confirmed_by_customer=ticket.problem_confirmed_by_customer,
            problem_confirmed_by_company=ticket.problem_confirmed_by_company,
            customer_confirmed=ticket.customer_confirmed,
            **{name: getattr(ticket, name) for name in FIVE_W_TWO_H},
        )
        return initial

    @classmethod
    def partial_data(cls, ticket, posted) -> QueryDict:
        """Form data from the ticket's current values with only `version`, `category` and
        `priority` taken from `posted` (a one-click "apply suggestion" button posts just
        those)."""
        data = QueryDict(mutable=True)
        for name, value in cls.initial_for(ticket).items():
            if isinstance(value, bool):
                if value:
                    data[name] = "on"
            elif isinstance(value, list):
                data.setlist(name, [str(v) for v in value])
            elif value is not None:
                data[name] = str(value)
        for name in ("version", "category", "priority"):
            if name in posted:
                data[name] = posted[name]
        return data

    def groups(self) -> list[tuple]:
        """(title, bound fields, shown open) for the panel: main, complaint handling, 5W2H."""
        main = ("subject", "kind", "priority", "severity", "category", "team", "assignee", "tags")
        handling = (
            "problem_statement",
            "problem_confirmed_by_customer",
            "problem_confirmed_by_company",
            "root_cause",
            "response_kinds",
            "resolution",
            "customer_confirmed",
        )
        groups = [
            ("", main, True),
            (_("Complaint handling") if "root_cause" in self.fields else "", handling, True),
            (_("5W2H"), FIVE_W_TWO_H, bool(self.errors)),
        ]
        return [
            (title, [self[name] for name in names if name in self.fields], is_open)
            for title, names, is_open in groups
            if any(name in self.fields for name in names)
        ]

    def changes(self) -> dict:
        """The fields the agent changed, ready for ticket_update (tags travel separately)."""
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name not in ("version", "tags")
        }


class ReplyForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("reply", _("Reply to customer")), ("note", _("Internal note"))],
        initial="reply",
        widget=forms.RadioSelect,
    )
    body = forms.CharField(label=_("Message"), widget=_textarea(5))
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    macro = forms.IntegerField(required=False, widget=forms.HiddenInput)


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(choices=TicketStatus.choices)
    version = forms.IntegerField()
    note = forms.CharField(required=False, max_length=2000)


class StageForm(forms.Form):
    to_stage = forms.CharField(max_length=10)
    version = forms.IntegerField()
    reason = forms.CharField(required=False, max_length=2000)


class CompensationForm(forms.Form):
    remedy = forms.ChoiceField(label=_("Remedy"), choices=Remedy.choices)
    amount = forms.DecimalField(
        label=_("Amount (CNY)"), min_value=0, max_digits=12, decimal_places=2, initial=0
    )
    reason = forms.CharField(label=_("Reason"), widget=_textarea(2))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    note = forms.CharField(label=_("Reason"), required=False, max_length=2000)
    version = forms.IntegerField(required=False)


class IanarForm(forms.Form):
    identify = forms.CharField(
        label=_("Identify: the core problem"), required=False, widget=_textarea(2)
    )
    analyse = forms.CharField(label=_("Analyse: root cause"), required=False, widget=_textarea(2))
    negotiate = forms.CharField(
        label=_("Negotiate: agreed remedy"), required=False, widget=_textarea(2)
    )
    act = forms.CharField(label=_("Act: what was done"), required=False, widget=_textarea(2))
    review = forms.CharField(
        label=_("Review: outcome and lesson"), required=False, widget=_textarea(2)
    )


class FollowUpForm(forms.Form):
    due_at = forms.DateTimeField(
        label=_("Due"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class FollowUpDoneForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[c for c in FollowUp.Outcome.choices if c[0]]
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class OpportunityForm(forms.Form):
    description = forms.CharField(label=_("Opportunity"), max_length=2000)
    estimated_value = forms.DecimalField(
        label=_("Estimated value (CNY)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
    )


class LinkForm(forms.Form):
    target = forms.CharField(
        label=_("Ticket number"), max_length=20, help_text=_("For example KF-2026-000123")
    )
    kind = forms.ChoiceField(
        label=_("Link"),
        choices=[("related", _("Related")), ("merge", _("Merge this ticket into it"))],
    )


def ticket_numbers(text: str) -> list[str]:
    """'KF-2026-000123, KF-2026-000124 17' → the numbers (commas, Chinese commas, spaces)."""
    return [n for n in re.split(r"[\s,，、;；]+", text or "") if n]


class SplitForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject of the new ticket"),
        required=False,
        max_length=250,
        help_text=_("Leave empty to keep this ticket's subject."),
    )


class IncidentAttachForm(forms.Form):
    numbers = forms.CharField(
        label=_("Affected tickets"),
        required=False,
        max_length=4000,
        help_text=_("Ticket numbers separated by commas or spaces, e.g. KF-2026-000123."),
    )


class BroadcastForm(forms.Form):
    body = forms.CharField(label=_("Reply to every affected customer"), widget=_textarea(4))


class IncidentSolveForm(forms.Form):
    resolution = forms.CharField(label=_("Resolution"), widget=_textarea(3))


class ThreeChangeForm(forms.Form):
    change = forms.ChoiceField(
        choices=[
            ("person", _("Another person")),
            ("time", _("Another time")),
            ("channel", _("Another channel")),
        ]
    )
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    note = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_users()


class BulkForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    action = forms.ChoiceField(choices=[("assign", "assign"), ("status", "status"), ("tag", "tag")])
    assignee = forms.CharField(required=False)
    status = forms.ChoiceField(choices=[("", ""), *TicketStatus.choices], required=False)
    tag = forms.CharField(required=False, max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any integer id is acceptable here; visibility is checked by the selector.
        self.fields["ids"].choices = [(v, v) for v in self.data.getlist("ids") if v.isdigit()]


class MacroForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    body = forms.CharField(
        label=_("Reply text"),
        widget=_textarea(6),
        help_text=_("Placeholders: {customer_name}, {ticket_id}, {agent_name}."),
    )
    set_status = forms.ChoiceField(
        label=_("Then set status"), choices=[("", "—"), *TicketStatus.choices], required=False
    )
    add_tags = forms.CharField(
        label=_("Then add tags"), required=False, help_text=_("Separate with commas.")
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
