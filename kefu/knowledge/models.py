"""Knowledge base: categories, articles with versions, translations, attachments, feedback,
use on tickets, deflection, synonyms, the search index and review reminders."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import TimeStampedModel, VersionedModel

USER = settings.AUTH_USER_MODEL


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")


class Visibility(models.TextChoices):
    INTERNAL = "internal", _("Internal")
    PUBLIC = "public", _("Public")


class ArticleState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Category(models.Model):
    """A category of articles; a category with a parent is a section of that category."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sections",
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    is_public = models.BooleanField(_("shown on the portal"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="knowledge_category_unique_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.parent} / {self.name}" if self.parent_id else self.name

    def label(self, language: str) -> str:
        """The name in `language` (English when asked and given, else the main name)."""
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Article(VersionedModel):
    """One article in one language. Translations share `translation_group`.

    `version` (from VersionedModel) is the optimistic lock; `revision` counts content versions
    (ArticleVersion rows)."""

    title = models.CharField(_("title"), max_length=200)
    body_html = models.TextField(_("body"), blank=True)
    body_text = models.TextField(_("plain text"), blank=True, editable=False)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )
    translation_group = models.UUIDField(_("translation group"), default=uuid.uuid4, db_index=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    state = models.CharField(
        _("state"), max_length=10, choices=ArticleState.choices, default=ArticleState.DRAFT
    )
    owner = models.ForeignKey(
        USER,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_articles",
    )
    review_by = models.DateField(_("review by"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    revision = models.PositiveIntegerField(_("revision"), default=0)
    problem = models.ForeignKey(
        "tickets.Problem",
        verbose_name=_("problem record"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    # Index statistics (token counts) kept by the index so ranking needs no second pass.
    title_length = models.PositiveIntegerField(default=0, editable=False)
    body_length = models.PositiveIntegerField(default=0, editable=False)
    is_indexed = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["state", "visibility", "language"]),
            models.Index(fields=["review_by"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["translation_group", "language"], name="knowledge_one_translation_per_lang"
            )
        ]
        permissions = [
            ("publish_article", _("Can review and publish articles")),
            ("view_internal_article", _("Can read internal articles")),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC and self.state == ArticleState.PUBLISHED


class ArticleVersion(models.Model):
    """A full snapshot of an article's content after a save (append-only)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=200)
    body_html = models.TextField(_("body"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices)
    category_id_snapshot = models.IntegerField(null=True, blank=True)
    author = models.ForeignKey(
        USER, verbose_name=_("author"), null=True, blank=True, on_delete=models.SET_NULL
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("saved"), auto_now_add=True)

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="knowledge_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"


def article_file_path(instance: ArticleAttachment, filename: str) -> str:
    """Random stored names: an uploader's file name is never part of a path."""
    from django.utils import timezone

    return f"knowledge/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class ArticleAttachment(TimeStampedModel):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=article_file_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    is_image = models.BooleanField(_("image"), default=False)
    uploaded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class ArticleFeedback(TimeStampedModel):
    """ "Did this answer your question?" — one answer per reader and article (the latest wins)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="knowledge_feedback_once")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {'+' if self.helpful else '-'}"


class UseKind(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested")
    LINK = "link", _("Link inserted")
    TEXT = "text", _("Text inserted")
    SOLVED = "solved", _("Solved the ticket")


class ArticleUse(models.Model):
    """An article suggested for, inserted into, or credited with solving a ticket."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="uses")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="article_uses"
    )
    kind = models.CharField(_("use"), max_length=10, choices=UseKind.choices)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article use")
        verbose_name_plural = _("article uses")
        constraints = [
            models.UniqueConstraint(fields=["article", "ticket", "kind"], name="knowledge_use_once")
        ]
        indexes = [models.Index(fields=["ticket", "kind"])]

    def __str__(self) -> str:
        return f"{self.article_id} {self.kind} {self.ticket_id}"


class DeflectionOutcome(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DEFLECTED = "deflected", _("Deflected")
    TICKET = "ticket", _("Opened a ticket")


class Deflection(models.Model):
    """A portal customer read an article; after the window we record whether a ticket followed."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(_("read"), db_index=True)
    outcome = models.CharField(
        _("outcome"),
        max_length=10,
        choices=DeflectionOutcome.choices,
        default=DeflectionOutcome.PENDING,
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("deflection")
        verbose_name_plural = _("deflections")
        indexes = [models.Index(fields=["outcome", "read_at"])]

    def __str__(self) -> str:
        return f"{self.article_id} {self.user_id} {self.outcome}"


class Synonym(models.Model):
    """A group of words searched as one, e.g. 退款, 退钱, refund."""

    words = models.CharField(
        _("words"), max_length=300, help_text=_("Separated by commas, e.g. 退款, 退钱, refund.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.words

    @property
    def word_list(self) -> list[str]:
        return split_words(self.words)


def split_words(value: str) -> list[str]:
    """The distinct, lower-cased words of a comma-separated list (Chinese commas too)."""
    import re

    words = (w.strip().lower() for w in re.split(r"[,，、;；\n]", value or ""))
    return [w for w in dict.fromkeys(words) if w]


class Posting(models.Model):
    """One term of one article: the inverted index (kept by kefu.knowledge.indexing).

    Scope columns (published, public, language) are copied from the article so a search reads
    this table only."""

    term = models.CharField(max_length=40)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    tf_title = models.PositiveSmallIntegerField(default=0)
    tf_body = models.PositiveSmallIntegerField(default=0)
    title_length = models.PositiveIntegerField(default=0)
    body_length = models.PositiveIntegerField(default=0)
    # BM25F term weight without idf, at the average length of the day it was indexed: the
    # order in which a search reads a long posting list (best documents first).
    impact = models.FloatField(default=0.0)
    published = models.BooleanField(default=False)
    public = models.BooleanField(default=False)
    language = models.CharField(max_length=8)

    class Meta:
        indexes = [
            # Covering index: a search reads only this index (no table lookups) for its terms.
            models.Index(
                fields=[
                    "term",
                    "-impact",
                    "article",
                    "published",
                    "public",
                    "language",
                    "tf_title",
                    "tf_body",
                    "title_length",
                    "body_length",
                ],
                name="knowledge_posting_search",
            ),
            models.Index(
                fields=["term"], name="knowledge_posting_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["article"], name="knowledge_posting_article"),
        ]

    def __str__(self) -> str:
        return f"{self.term} → {self.article_id}"


class Term(models.Model):
    """A word of the index's vocabulary and how many articles hold it: all of them (BM25's
    document frequency) and the published public ones (what the help centre may complete or
    correct a word to). Kept by kefu.knowledge.indexing with the postings, so a search reads
    document frequencies, completions and typo candidates without reading posting lists."""

    term = models.CharField(max_length=40, unique=True)
    doc_count = models.IntegerField(default=0)
    public_count = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=["term"], name="knowledge_term_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term} ({self.doc_count})"


class IndexStats(models.Model):
    """Whole-index totals for BM25 (one row): documents and their summed weighted length."""

    doc_count = models.PositiveIntegerField(default=0)
    total_length = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.doc_count} documents"


class ReviewReminder(models.Model):
    """A reminder to an article's owner that its review date has passed (one per day)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="reminders")
    owner = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField(_("sent on"))
    review_by = models.DateField(_("review by"))
    emailed = models.BooleanField(_("emailed"), default=False)

    class Meta:
        verbose_name = _("review reminder")
        verbose_name_plural = _("review reminders")
        ordering = ["-sent_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["article", "sent_on"], name="knowledge_reminder_daily")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {self.sent_on}"
