import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import TestCase
from django.utils import timezone

from kefu.core.errors import Conflict, ValidationFailed
from kefu.core.models import AuditEvent
from kefu.knowledge import selectors, services
from kefu.knowledge.models import (
    Article,
    ArticleUse,
    ArticleVersion,
    Deflection,
    ReviewReminder,
)
from kefu.knowledge.tests.factories import make_article
from kefu.tickets.tests.factories import make_customer, make_ticket

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def test_create_sanitises_html_and_keeps_plain_text(editor):
    article = services.article_create(
        actor=editor,
        title="  保修政策 ",
        body_html='<p onclick="x()">一年保修<script>alert(1)</script></p>'
        '<a href="javascript:x">x</a>',
    )
    assert article.title == "保修政策"
    assert "script" not in article.body_html and "onclick" not in article.body_html
    assert "javascript" not in article.body_html
    assert article.body_text.startswith("一年保修")
    assert article.revision == 1 and article.owner == editor
    assert AuditEvent.objects.filter(action="knowledge.article_created").count() == 1


def test_title_is_required_and_names_the_field(editor):
    with pytest.raises(ValidationFailed) as exc:
        services.article_create(actor=editor, title=" ")
    assert "title" in exc.value.fields
    assert not Article.objects.exists()


def test_versions_diff_and_restore(editor):
    article = services.article_create(actor=editor, title="退货政策", body_html="<p>七天退货</p>")
    article = services.article_update(
        actor=editor,
        article=article,
        expected_version=article.version,
        changes={"body_html": "<p>十五天退货</p>"},
        note="延长",
    )
    assert article.revision == 2
    v1, v2 = ArticleVersion.objects.filter(article=article).order_by("number")
    diff = selectors.version_diff(v1, v2)
    assert ("-", "七天退货") in [(d.op, d.text) for d in diff]
    assert ("+", "十五天退货") in [(d.op, d.text) for d in diff]
    article = services.article_restore(
        actor=editor, article=article, number=1, expected_version=article.version
    )
    article.refresh_from_db()
    assert article.body_html == "<p>七天退货</p>" and article.revision == 3
    assert ArticleVersion.objects.filter(article=article).count() == 3
    assert ArticleVersion.objects.get(article=article, number=3).note == "Restored revision 1"
    # the index follows the restore
    from kefu.knowledge.models import Posting

    assert Posting.objects.filter(article=article, term="七天").exists()
    assert not Posting.objects.filter(article=article, term="十五天").exists()


def test_restore_brings_back_language_visibility_and_category_and_diff_shows_them(editor):
    from kefu.knowledge.models import Category

    faq = Category.objects.create(name="常见问题", name_en="FAQ")
    article = services.article_create(
        actor=editor,
        title="Returns",
        body_html="<p>Seven days</p>",
        language="en",
        visibility="public",
        category=faq,
    )
    article = services.article_update(
        actor=editor,
        article=article,
        expected_version=article.version,
        changes={"language": "zh-hans", "visibility": "internal", "category": None},
    )
    v1, v2 = ArticleVersion.objects.filter(article=article).order_by("number")
    changes = [(d.op, d.text) for d in selectors.version_diff(v1, v2)]
    assert ("-", "[en]") in changes and ("+", "[zh-hans]") in changes
    assert ("-", "[public]") in changes and ("+", "[internal]") in changes
    assert ("-", f"[{faq.pk} 常见问题]") in changes and ("+", "[-]") in changes
    article = services.article_restore(
        actor=editor, article=article, number=1, expected_version=article.version
    )
    article.refresh_from_db()
    assert (article.language, article.visibility, article.category_id) == ("en", "public", faq.pk)
    from kefu.knowledge.models import Posting

    assert set(Posting.objects.filter(article=article).values_list("language", flat=True)) == {"en"}


def test_metadata_change_adds_no_revision(editor):
    article = make_article(actor=editor)
    article = services.article_update(
        actor=editor,
        article=article,
        expected_version=article.version,
        changes={"review_by": dt.date(2027, 1, 1)},
    )
    assert article.revision == 1


def test_stale_edit_is_refused(editor):
    article = make_article(actor=editor)
    services.article_update(
        actor=editor, article=article, expected_version=1, changes={"title": "新标题"}
    )
    stale = Article.objects.get(pk=article.pk)
    with pytest.raises(Conflict):
        services.article_update(
            actor=editor, article=stale, expected_version=1, changes={"title": "另一个"}
        )
    assert Article.objects.get(pk=article.pk).title == "新标题"


def test_agent_submits_for_review_but_cannot_publish(make_user):
    agent = make_user("agent")
    article = services.article_create(actor=agent, title="配送说明")
    article = services.article_transition(
        actor=agent, article=article, to_state="review", expected_version=article.version
    )
    assert article.state == "review"
    with pytest.raises(PermissionDenied):
        services.article_publish(actor=agent, article=article, expected_version=article.version)
    with pytest.raises(ValidationFailed):
        services.article_transition(
            actor=agent, article=article, to_state="archived", expected_version=article.version
        )


def test_translations_share_a_group_one_per_language(editor):
    zh = make_article("退货政策", actor=editor)
    en = services.article_create(
        actor=editor, title="Return policy", language="en", translation_of=zh
    )
    assert en.translation_group == zh.translation_group
    assert list(selectors.translations(zh)) == [en]
    with pytest.raises(ValidationFailed) as exc:
        services.article_create(actor=editor, title="Returns", language="en", translation_of=zh)
    assert "language" in exc.value.fields


def test_attachment_limits(editor):
    article = make_article(actor=editor)
    ok = services.attachment_add(
        actor=editor,
        article=article,
        upload=services.Upload("shot.png", "image/png", PNG),
    )
    assert ok.is_image and ok.size == len(PNG) and "shot" not in ok.file.name
    with pytest.raises(ValidationFailed):  # declared PNG, content is not
        services.attachment_add(
            actor=editor, article=article, upload=services.Upload("x.png", "image/png", b"<svg>")
        )
    with pytest.raises(ValidationFailed):  # type not allowed
        services.attachment_add(
            actor=editor,
            article=article,
            upload=services.Upload("x.html", "text/html", b"<script>"),
        )
    with pytest.raises(ValidationFailed):  # too large
        services.attachment_add(
            actor=editor,
            article=article,
            upload=services.Upload("big.png", "image/png", PNG + b"\0" * (5 * 1024 * 1024)),
        )
    assert article.attachments.count() == 1


def test_feedback_one_answer_per_reader(customer_user):
    article = make_article()
    services.feedback_record(actor=customer_user, article=article, helpful=False)
    services.feedback_record(actor=customer_user, article=article, helpful=True, comment="好")
    stats = selectors.effectiveness([article.pk])[article.pk]
    assert (stats.helpful, stats.unhelpful, stats.helpful_rate) == (1, 0, 1.0)


def test_customer_cannot_give_feedback_on_internal_article(customer_user):
    from django.http import Http404

    article = make_article(visibility="internal")
    with pytest.raises(Http404):
        services.feedback_record(actor=customer_user, article=article, helpful=True)


def test_use_on_ticket_and_effectiveness(make_user):
    agent = make_user("agent")
    ticket = make_ticket(agent, subject="手机无法充电")
    article = make_article("手机无法充电怎么办", "<p>更换充电线</p>")
    internal = make_article("充电故障内部排查", "<p>先查批次</p>", visibility="internal")
    hits = selectors.suggest_articles(ticket)
    assert [h.article.pk for h in hits][:2] == [article.pk, internal.pk]
    services.suggestions_record(actor=agent, ticket=ticket, articles=[h.article for h in hits])
    services.suggestions_record(actor=agent, ticket=ticket, articles=[h.article for h in hits])
    services.article_use_record(actor=agent, article=article, ticket=ticket, kind="text")
    services.article_use_record(actor=agent, article=article, ticket=ticket, kind="solved")
    with pytest.raises(ValidationFailed):  # internal text never goes to a customer
        services.article_use_record(actor=agent, article=internal, ticket=ticket, kind="text")
    stats = selectors.effectiveness([article.pk, internal.pk])
    assert (stats[article.pk].suggested, stats[article.pk].text, stats[article.pk].solved) == (
        1,
        1,
        1,
    )
    assert stats[article.pk].solve_rate == 1.0
    assert stats[internal.pk].solve_rate == 0.0
    assert selectors.used_on_ticket(ticket)[article.pk] == {"suggested", "text", "solved"}
    assert ArticleUse.objects.count() == 4


def test_suggestions_use_the_first_customer_message(make_user):
    from kefu.tickets.services import message_add

    agent = make_user("agent")
    ticket = make_ticket(agent, subject="咨询", description="")
    message_add(actor=None, ticket=ticket, kind="customer", body="发票怎么开？需要增值税专用发票")
    invoice = make_article("如何开具发票", "<p>电子发票和增值税专用发票</p>")
    make_article("保修政策", "<p>一年保修</p>")
    assert [h.article.pk for h in selectors.suggest_articles(ticket)] == [invoice.pk]


def test_deflection_accounting(customer_user, make_user):
    """Three reads: one followed by a ticket inside the window, one by a ticket after it,
    one still inside its window."""
    other = make_user("customer")
    make_customer(user=other)
    article = make_article()
    now = timezone.now()
    first = services.deflection_record_read(
        user=customer_user, article=article, now=now - dt.timedelta(hours=100)
    )
    second = services.deflection_record_read(
        user=other, article=article, now=now - dt.timedelta(hours=200)
    )
    # a second read of the same article while one is pending does not count twice
    assert services.deflection_record_read(user=customer_user, article=article) == first
    make_ticket(None, customer=customer_user.customer_profile)  # opened now: 100 h after the read
    ticket = make_ticket(None, customer=other.customer_profile)
    from kefu.tickets.models import Ticket

    Ticket.objects.filter(pk=ticket.pk).update(created_at=now - dt.timedelta(hours=190))
    result = services.deflection_sweep(now=now, window_hours=72)
    assert result == {"deflected": 1, "ticket": 1}
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.outcome == "deflected"  # its ticket came after the 72 h window
    assert second.outcome == "ticket" and second.ticket_id == ticket.pk
    third = services.deflection_record_read(user=customer_user, article=article, now=now)
    assert services.deflection_sweep(now=now, window_hours=72) == {"deflected": 0, "ticket": 0}
    summary = selectors.deflection_summary()
    assert summary == {"reads": 3, "deflected": 1, "ticket": 1, "pending": 1, "rate": 0.5}
    assert third.outcome == "pending"


def test_staff_reads_are_not_deflections(editor):
    article = make_article()
    assert services.deflection_record_read(user=editor, article=article) is None
    assert not Deflection.objects.exists()


def test_review_reminders_once_a_day_with_mail(make_user):
    owner = make_user("agent", email="li@example.com")
    quiet = make_user("agent")
    today = dt.date(2026, 12, 1)
    stale = make_article("旧文章", owner=owner, review_by=dt.date(2026, 11, 1))
    make_article("另一篇旧文章", owner=owner, review_by=dt.date(2026, 11, 30))
    make_article("没有邮箱", owner=quiet, review_by=dt.date(2026, 1, 1))
    make_article("还没到期", owner=owner, review_by=dt.date(2026, 12, 1))
    make_article("已归档", owner=owner, review_by=dt.date(2026, 1, 1), state="archived")
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.review_reminders_send(today=today) == 3
    assert services.review_reminders_send(today=today) == 0
    assert ReviewReminder.objects.filter(article=stale, sent_on=today, emailed=True).exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["li@example.com"]
    assert "旧文章" in mail.outbox[0].body and "另一篇旧文章" in mail.outbox[0].body
    # the next day, the article due on the 1st has become overdue too
    assert services.review_reminders_send(today=today + dt.timedelta(days=1)) == 4


def test_synonym_needs_two_words(editor):
    with pytest.raises(ValidationFailed) as exc:
        services.synonym_save(actor=editor, words="退款")
    assert "words" in exc.value.fields


def test_agent_cannot_manage_synonyms(make_user):
    with pytest.raises(PermissionDenied):
        services.synonym_save(actor=make_user("agent"), words="退款, 退钱")


def test_periodic_tasks_are_registered_and_run(make_user):
    from kefu.core.tasks import REGISTRY
    from kefu.knowledge import tasks

    assert REGISTRY["knowledge.review_reminders"].every_seconds == 24 * 3600
    assert REGISTRY["knowledge.deflection_sweep"].every_seconds == 3600
    owner = make_user("agent")
    make_article(owner=owner, review_by=dt.date(2020, 1, 1))
    assert tasks.review_reminders() == 1
    assert tasks.review_reminders() == 0  # idempotent within the day
    assert tasks.deflection_sweep() == {"deflected": 0, "ticket": 0}
