"""Reader and agent signals: feedback, use on tickets, deflection, review reminders."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record
from kefu.core.errors import ValidationFailed
from kefu.knowledge import access
from kefu.knowledge.models import (
    Article,
    ArticleFeedback,
    ArticleState,
    ArticleUse,
    Deflection,
    DeflectionOutcome,
    ReviewReminder,
    UseKind,
)
from kefu.knowledge.services.articles import DEFLECTION_WINDOW_HOURS


@transaction.atomic
def feedback_record(
    *, actor, article: Article, helpful: bool, comment: str = ""
) -> ArticleFeedback:
    """Record "did this answer your question?" (one answer per reader, the latest wins)."""
    access.get_readable_article(actor, article.pk)
    feedback, _created = ArticleFeedback.objects.update_or_create(
        article=article,
        user=actor,
        defaults={"helpful": bool(helpful), "comment": (comment or "").strip()[:2000]},
    )
    return feedback


@transaction.atomic
def article_use_record(*, actor, article: Article, ticket, kind: str) -> ArticleUse:
    """Record that an article was inserted into, or solved, a ticket (article effectiveness)."""
    from kefu.tickets.access import require_ticket_access

    if kind not in UseKind.values:
        raise ValidationFailed(_("Unknown use."), fields={"kind": _("Unknown use.")})
    require_ticket_access(actor, ticket, work=kind != UseKind.SUGGESTED)
    access.get_readable_article(actor, article.pk)
    if kind in (UseKind.LINK, UseKind.TEXT) and not article.is_public:
        raise ValidationFailed(
            _("Only published public articles can be sent to a customer."),
            fields={"article": _("This article is internal or not published.")},
        )
    use, created = ArticleUse.objects.get_or_create(
        article=article, ticket=ticket, kind=kind, defaults={"actor": actor}
    )
    if created and kind != UseKind.SUGGESTED:
        audit_record(
            actor=actor,
            action=f"knowledge.article_use_{kind}",
            obj=article,
            changes={"ticket": [None, ticket.pk]},
        )
    return use


def suggestions_record(*, actor, ticket, articles) -> int:
    """Note that `articles` were suggested on `ticket` (the denominator of effectiveness)."""
    rows = [
        ArticleUse(article=a, ticket=ticket, kind=UseKind.SUGGESTED, actor=None) for a in articles
    ]
    ArticleUse.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def deflection_record_read(*, user, article: Article, now: dt.datetime | None = None):
    """A portal customer read a public article: start its deflection window (one open window
    per customer and article)."""
    if not getattr(user, "is_customer", False) or not article.is_public:
        return None
    now = now or timezone.now()
    open_read = Deflection.objects.filter(
        article=article, user=user, outcome=DeflectionOutcome.PENDING
    ).first()
    if open_read is not None:
        return open_read
    return Deflection.objects.create(article=article, user=user, read_at=now)


@transaction.atomic
def deflection_sweep(
    *, now: dt.datetime | None = None, window_hours: int = DEFLECTION_WINDOW_HOURS
) -> dict[str, int]:
    """Decide every read whose window ended: a ticket by that customer inside the window means
    "ticket", none means "deflected". Two bulk UPDATEs, whatever the number of reads."""
    from kefu.tickets.models import Ticket

    now = now or timezone.now()
    window = dt.timedelta(hours=window_hours)
    due = Deflection.objects.filter(outcome=DeflectionOutcome.PENDING, read_at__lte=now - window)
    followed = Ticket.objects.filter(
        customer__user=OuterRef("user"),
        created_at__gte=OuterRef("read_at"),
        created_at__lt=OuterRef("read_at") + window,
    ).order_by("created_at")
    with_ticket = due.filter(Exists(followed)).update(
        outcome=DeflectionOutcome.TICKET,
        ticket=Subquery(followed.values("pk")[:1]),
        decided_at=now,
    )
    deflected = due.filter(~Exists(followed)).update(
        outcome=DeflectionOutcome.DEFLECTED, decided_at=now
    )
    return {"deflected": deflected, "ticket": with_ticket}


@transaction.atomic
def review_reminders_send(*, today: dt.date | None = None) -> int:
    """Remind owners of articles past their review date: one reminder row per article and day,
    and one e-mail per owner listing their articles (sent after commit)."""
    today = today or timezone.localdate()
    stale = list(
        Article.objects.filter(review_by__lt=today, owner__isnull=False)
        .exclude(state=ArticleState.ARCHIVED)
        .exclude(reminders__sent_on=today)
        .select_related("owner")
        .order_by("owner_id", "review_by", "pk")
    )
    if not stale:
        return 0
    by_owner: dict[int, list[Article]] = {}
    for article in stale:
        by_owner.setdefault(article.owner_id, []).append(article)
    ReviewReminder.objects.bulk_create(
        [
            ReviewReminder(
                article=a,
                owner_id=a.owner_id,
                sent_on=today,
                review_by=a.review_by,
                emailed=bool(a.owner.email),
            )
            for a in stale
        ],
        ignore_conflicts=True,
    )
    for articles in by_owner.values():
        owner = articles[0].owner
        if owner.email:
            transaction.on_commit(lambda o=owner, a=articles: _mail_reminder(o, a))
    return len(stale)


def _mail_reminder(owner, articles: list[Article]) -> None:
    from django.core.mail import send_mail

    lines = [f"- {a.title} ({_('review by')} {a.review_by:%Y-%m-%d})" for a in articles]
    send_mail(
        subject=_("Knowledge articles to review: %(n)d") % {"n": len(articles)},
        message=_("These articles are past their review date:") + "\n" + "\n".join(lines),
        from_email=None,
        recipient_list=[owner.email],
        fail_silently=True,
    )
