"""Erasing a customer on request (the right to erasure, PIPL art. 47 / GDPR art. 17).

Erasure **anonymises**: it removes what identifies the person and keeps what the statistics need.

- **Removed:** the name, contacts, notes and custom attributes; the text of tickets, messages,
  complaints (5W2H), compensations, follow-ups, chats, calls' numbers and recordings' addresses;
  raw emails; free-text survey answers; attachments (the files too); churn-risk profiles; the
  portal login; merge undo records. The customers merged into this one are erased with it.
- **Kept:** the rows themselves, with their ids, times, statuses, kinds, categories, channels,
  amounts, scores, tiers and regions. Volumes, SLA compliance, KPIs, CSAT/NPS, customer value
  and reports therefore keep their figures. The Message-IDs and external ids are kept too, so
  that a redelivered email or a re-imported order is still recognised and not recreated.
- **The audit trail** keeps that the erasure happened (`customer.erased`, with counts and the
  reason, never the data), and the events it already held about these records keep who did
  what and when. Their personal values are replaced by "[erased]": this is the one sanctioned
  edit to the otherwise append-only trail (`AuditEvent.objects.redact`).

Everything happens in one transaction: a failure leaves the customer as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record
from kefu.core.errors import ValidationFailed
from kefu.core.models import AuditEvent
from kefu.core.permissions import require_perm
from kefu.customers.models import ContactPoint, CreditRating, Customer, CustomerNote, MergeRecord

ERASED = "[erased]"

# Keys whose values are personal wherever they appear in an event's or audit entry's changes.
PERSONAL_KEYS = frozenset(
    {
        "name", "email", "phone", "mobile", "wechat", "address", "value", "normalized", "contacts",
        "notes", "note", "body", "body_text", "body_html", "text", "comment", "attributes",
        "subject", "description", "custom_fields", "five_w_two_h", "w_what", "w_why", "w_who",
        "w_when", "w_where", "w_how", "problem_statement", "resolution", "three_changes_tried",
        "reason", "decision_note", "filename", "caller_number", "visitor_name", "sender", "to",
        "from", "from_address", "recording_url", "username", "first_name", "last_name",
        "display_name",
        "identify", "analyse", "negotiate", "act", "review",
    }
)  # fmt: skip


@dataclass
class ErasureReport:
    customer_ids: list[int]
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, label: str, count: int) -> None:
        if count:
            self.counts[label] = self.counts.get(label, 0) + count


def scrub_changes(changes: dict) -> dict:
    """`changes` with the values of personal keys replaced by ERASED (empty values stay empty)."""

    def blank(value):
        if value in (None, "", [], {}):
            return value
        if isinstance(value, list) and len(value) == 2:  # [old, new]
            return [blank(value[0]), blank(value[1])]
        return ERASED

    if not isinstance(changes, dict):
        return changes
    return {key: blank(value) if key in PERSONAL_KEYS else value for key, value in changes.items()}


def confirmation_text(customer: Customer) -> str:
    """What must be typed to confirm: the customer number (the id when there is none)."""
    return customer.number or str(customer.pk)


def customer_erase(*, actor, customer: Customer, reason: str, confirm: str) -> ErasureReport:
    """Anonymise `customer` (and the records merged into it) as described above.

    `actor=None` is an operator at the console (`kefu privacy erase`). Needs the permission to
    delete customers (administrators). `reason` (the request's reference, say) is required and
    audited; `confirm` must repeat the customer number, so a slip cannot erase someone else.
    """
    if actor is not None:
        require_perm(actor, "customers.delete_customer")
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [_("Say why the customer is erased (the request's reference).")]
    if (confirm or "").strip() != confirmation_text(customer):
        errors["confirm"] = [
            _("Type the customer number %(number)s to confirm.")
            % {"number": confirmation_text(customer)}
        ]
    if customer.merged_into_id:
        errors["customer"] = [_("This record was merged: erase the customer it was merged into.")]
    if errors:
        raise ValidationFailed(_("The customer was not erased."), fields=errors)
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        ids = [locked.pk, *_merged_into(locked.pk)]
        report = ErasureReport(customer_ids=ids)
        redact = _Redactions()
        _erase_tickets(ids, report, redact)
        _erase_channels(ids, report, redact)
        _erase_surveys(ids, report)
        _erase_customers(ids, report, redact)
        report.add(
            "core.AuditEvent",
            AuditEvent.objects.redact(
                redact.targets, scrub_changes, actor_ids=redact.actor_ids, label=ERASED
            ),
        )
        audit_record(
            actor=actor,
            action="customer.erased",
            obj=locked,
            object_label=ERASED,
            changes={
                "reason": [None, reason[:500]],
                "customers": [None, ids],
                "rows": [None, report.counts],
            },
        )
    return report


class _Redactions:
    """The (object_type, object_id) pairs whose audit entries must be redacted."""

    def __init__(self) -> None:
        self.targets: dict[str, set[str]] = {}
        self.actor_ids: set[int] = set()  # the customer's portal login, as an actor

    def add(self, model, ids) -> None:
        self.targets.setdefault(model._meta.label_lower, set()).update(str(i) for i in ids)


def _merged_into(pk: int) -> list[int]:
    """Every customer merged (directly or through others) into `pk`."""
    found: list[int] = []
    frontier = [pk]
    while frontier:
        frontier = list(
            Customer.objects.filter(merged_into__in=frontier).values_list("pk", flat=True)
        )
        found += frontier
    return found


def _erase_tickets(ids: list[int], report: ErasureReport, redact: _Redactions) -> None:
    from kefu.sla.models import TicketSlaTarget
    from kefu.tickets import models as t

    tickets = t.Ticket.objects.filter(customer_id__in=ids)
    ticket_ids = list(tickets.values_list("pk", flat=True))
    redact.add(t.Ticket, ticket_ids)
    report.add(
        "tickets.Ticket",
        tickets.update(
            subject=ERASED,
            description="",
            custom_fields={},
            w_what="",
            w_why="",
            w_who="",
            w_when="",
            w_where="",
            w_how="",
            problem_statement="",
            resolution="",
            three_changes_tried=[],
            version=F("version") + 1,  # a concurrent edit of the old text gets a conflict
        ),
    )
    of_tickets = Q(ticket_id__in=ticket_ids)
    messages = t.Message.objects.filter(of_tickets)
    redact.add(t.Message, messages.values_list("pk", flat=True))
    report.add(
        "tickets.Message",
        messages.update(body_text=ERASED, body_html="", checker_warnings=[], delivery_error=""),
    )
    attachments = list(t.Attachment.objects.filter(message__ticket_id__in=ticket_ids))
    for attachment in attachments:
        # The file goes once the transaction commits: a rollback must not lose it.
        transaction.on_commit(lambda f=attachment.file: f.delete(save=False))
    redact.add(t.Attachment, [a.pk for a in attachments])
    report.add(
        "tickets.Attachment",
        t.Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()[0],
    )
    events = list(t.TicketEvent.objects.filter(of_tickets).only("pk", "changes", "note"))
    for event in events:
        event.changes = scrub_changes(event.changes)
        event.note = ERASED if event.note else ""
    t.TicketEvent.objects.bulk_update(events, ["changes", "note"], batch_size=500)
    report.add("tickets.TicketEvent", len(events))
    compensations = t.Compensation.objects.filter(of_tickets)
    redact.add(t.Compensation, compensations.values_list("pk", flat=True))
    report.add("tickets.Compensation", compensations.update(reason=ERASED, decision_note=""))
    report.add("tickets.FollowUp", t.FollowUp.objects.filter(of_tickets).update(note=ERASED))
    report.add(
        "tickets.Opportunity", t.Opportunity.objects.filter(of_tickets).update(description=ERASED)
    )
    report.add(
        "tickets.IanarReview",
        t.IanarReview.objects.filter(of_tickets).update(
            identify=ERASED, analyse=ERASED, negotiate=ERASED, act=ERASED, review=ERASED
        ),
    )
    report.add(
        "sla.TicketSlaTarget",
        TicketSlaTarget.objects.filter(of_tickets).exclude(breach_note="").update(breach_note=""),
    )
    from kefu.portal.models import ResolutionRating

    report.add(
        "portal.ResolutionRating",
        ResolutionRating.objects.filter(of_tickets).exclude(comment="").update(comment=""),
    )


def _erase_channels(ids: list[int], report: ErasureReport, redact: _Redactions) -> None:
    from kefu.channels import models as c

    mine = Q(customer_id__in=ids)
    of_tickets = Q(ticket__customer_id__in=ids)
    calls = c.CallRecord.objects.filter(mine)
    redact.add(c.CallRecord, calls.values_list("pk", flat=True))
    report.add("channels.CallRecord", calls.update(caller_number="", recording_url=""))
    report.add(
        "channels.ChatLine",
        c.ChatLine.objects.filter(transcript__customer_id__in=ids).update(text=ERASED),
    )
    report.add(
        "channels.ChatTranscript", c.ChatTranscript.objects.filter(mine).update(visitor_name="")
    )
    report.add(
        "channels.ExternalMessage",
        c.ExternalMessage.objects.filter(mine).update(sender="", text=ERASED),
    )
    inbound = c.InboundEmail.objects.filter(of_tickets)
    redact.add(c.InboundEmail, inbound.values_list("pk", flat=True))
    report.add(
        "channels.InboundEmail",
        inbound.update(raw=b"", from_address="", subject=ERASED, error=""),
    )
    outbound = c.OutboundEmail.objects.filter(of_tickets)
    redact.add(c.OutboundEmail, outbound.values_list("pk", flat=True))
    report.add(
        "channels.OutboundEmail", outbound.update(to=[], subject=ERASED, headers={}, last_error="")
    )


def _erase_surveys(ids: list[int], report: ErasureReport) -> None:
    """Responses stay (their scores feed CSAT/NPS) but no longer point at the person, and free
    text is removed."""
    from kefu.surveys.models import Answer, Invitation, Response

    theirs = Q(customer_id__in=ids) | Q(ticket__customer_id__in=ids)
    response_ids = list(Response.objects.filter(theirs).values_list("pk", flat=True))
    report.add(
        "surveys.Answer",
        Answer.objects.filter(response_id__in=response_ids).exclude(text="").update(text=""),
    )
    report.add(
        "surveys.Response", Response.objects.filter(pk__in=response_ids).update(customer=None)
    )
    report.add(
        "surveys.Invitation", Invitation.objects.filter(theirs).update(customer=None, email="")
    )


def _erase_customers(ids: list[int], report: ErasureReport, redact: _Redactions) -> None:
    from kefu.accounts.models import User
    from kefu.customers.services import customer_refresh_search_text
    from kefu.reports.models import CustomerRisk

    contacts = ContactPoint.objects.filter(customer_id__in=ids)
    redact.add(ContactPoint, contacts.values_list("pk", flat=True))
    report.add("customers.ContactPoint", contacts.delete()[0])
    notes = CustomerNote.objects.filter(customer_id__in=ids)
    redact.add(CustomerNote, notes.values_list("pk", flat=True))
    report.add("customers.CustomerNote", notes.delete()[0])
    report.add(
        "customers.CreditRating",
        CreditRating.objects.filter(customer_id__in=ids).exclude(note="").update(note=""),
    )
    report.add(
        "customers.MergeRecord",
        MergeRecord.objects.filter(Q(kept_id__in=ids) | Q(merged_id__in=ids)).delete()[0],
    )
    report.add("reports.CustomerRisk", CustomerRisk.objects.filter(customer_id__in=ids).delete()[0])
    user_ids = [
        u for u in Customer.objects.filter(pk__in=ids).values_list("user_id", flat=True) if u
    ]
    for user in User.objects.filter(pk__in=user_ids):
        redact.add(User, [user.pk])
        user.username = f"erased-{user.pk}"
        user.email = ""
        user.first_name = user.last_name = user.display_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        report.add("accounts.User", 1)
    redact.actor_ids.update(user_ids)
    from kefu.tickets.models import TicketEvent

    report.add(
        "tickets.TicketEvent",
        TicketEvent.objects.filter(actor_id__in=user_ids).update(actor_label=ERASED),
    )
    redact.add(Customer, ids)
    report.add(
        "customers.Customer",
        Customer.objects.filter(pk__in=ids).update(
            name=ERASED, notes="", attributes={}, version=F("version") + 1
        ),
    )
    for customer in Customer.objects.filter(pk__in=ids):
        customer_refresh_search_text(customer)
