"""Articles: create, change, state, versions and restore, delete, categories, attachments.

Every write validates (naming the field), runs in one transaction, records an audit event and
updates the search index in the same transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import nh3
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record, diff, snapshot
from kefu.core.errors import ValidationFailed
from kefu.core.permissions import require_perm
from kefu.core.versioning import update_versioned
from kefu.knowledge import access, indexing
from kefu.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleState,
    ArticleVersion,
    Category,
    Language,
    Visibility,
)
from kefu.tickets.sanitize import ALLOWED_TAGS, plain_text

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
CONTENT_FIELDS = ("title", "body_html", "language", "visibility", "category")
META_FIELDS = ("owner", "review_by", "problem")
EDITABLE_FIELDS = CONTENT_FIELDS + META_FIELDS
AUDITED = ("title", "language", "visibility", "category", "owner", "review_by", "state")

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
    "image/gif": b"GIF8",
    "image/webp": b"RIFF",
}
FILE_TYPES = {"application/pdf": b"%PDF-", "text/plain": b""}
DEFLECTION_WINDOW_HOURS = 72

# Who may move an article from one state to another, and with which permission.
TRANSITIONS: dict[tuple[str, str], str] = {
    (ArticleState.DRAFT, ArticleState.REVIEW): access.CHANGE,
    (ArticleState.REVIEW, ArticleState.DRAFT): access.CHANGE,
    (ArticleState.DRAFT, ArticleState.PUBLISHED): access.PUBLISH,
    (ArticleState.REVIEW, ArticleState.PUBLISHED): access.PUBLISH,
    (ArticleState.PUBLISHED, ArticleState.DRAFT): access.PUBLISH,
    (ArticleState.PUBLISHED, ArticleState.ARCHIVED): access.PUBLISH,
    (ArticleState.DRAFT, ArticleState.ARCHIVED): access.PUBLISH,
    (ArticleState.ARCHIVED, ArticleState.DRAFT): access.PUBLISH,
}


def sanitize_article_html(value: str) -> str:
    """Article HTML with only safe tags and http(s)/mailto/relative links (nh3 allow-list)."""
    return nh3.clean(
        value or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def text_to_html(value: str) -> str:
    """Plain text as paragraphs (blank line = new paragraph), escaped."""
    paragraphs = [p.strip() for p in (value or "").replace("\r\n", "\n").split("\n\n")]
    return "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs if p)


def _clean_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned = dict(fields)
    if "title" in cleaned:
        cleaned["title"] = (cleaned["title"] or "").strip()
        if not cleaned["title"]:
            errors["title"] = _("This field is required.")
        elif len(cleaned["title"]) > 200:
            errors["title"] = _("At most 200 characters.")
    if "body_html" in cleaned:
        cleaned["body_html"] = sanitize_article_html(cleaned["body_html"])
    if "language" in cleaned and cleaned["language"] not in Language.values:
        errors["language"] = _("Choose zh-hans or en.")
    if "visibility" in cleaned and cleaned["visibility"] not in Visibility.values:
        errors["visibility"] = _("Choose internal or public.")
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    return cleaned


def _snapshot_version(article: Article, *, actor, note: str = "") -> ArticleVersion:
    article.revision += 1
    Article.objects.filter(pk=article.pk).update(revision=article.revision)
    return ArticleVersion.objects.create(
        article=article,
        number=article.revision,
        title=article.title,
        body_html=article.body_html,
        language=article.language,
        visibility=article.visibility,
        category_id_snapshot=article.category_id,
        author=actor if getattr(actor, "is_authenticated", False) else None,
        note=note[:200],
    )


def _check_translation(article_group, language: str, exclude_pk=None) -> None:
    clash = Article.objects.filter(translation_group=article_group, language=language)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationFailed(
            _("This article already has a version in that language."),
            fields={"language": _("A translation in this language exists.")},
        )


@transaction.atomic
def category_create(
    *,
    actor,
    name: str,
    name_en: str = "",
    parent: Category | None = None,
    position: int = 0,
    is_public: bool = True,
) -> Category:
    if actor is not None:
        require_perm(actor, "knowledge.add_category")
    if not (name or "").strip():
        raise ValidationFailed(
            _("A category needs a name."), fields={"name": _("This field is required.")}
        )
    if Category.objects.filter(parent=parent, name=name.strip()).exists():
        raise ValidationFailed(
            _("This name is taken."), fields={"name": _("Another category has this name.")}
        )
    category = Category.objects.create(
        name=name.strip(),
        name_en=(name_en or "").strip(),
        parent=parent,
        position=position,
        is_public=is_public,
    )
    audit_record(actor=actor, action="knowledge.category_created", obj=category)
    return category


@transaction.atomic
def article_create(
    *,
    actor,
    title: str,
    body_html: str = "",
    language: str = Language.ZH_HANS,
    visibility: str = Visibility.INTERNAL,
    category: Category | None = None,
    owner=None,
    review_by: dt.date | None = None,
    translation_of: Article | None = None,
    problem=None,
    state: str = ArticleState.DRAFT,
) -> Article:
    """Write a new article (revision 1), index it and record the audit event."""
    if actor is not None:
        require_perm(actor, access.ADD)
        if state == ArticleState.PUBLISHED:
            require_perm(actor, access.PUBLISH)
    fields = _clean_fields(
        {"title": title, "body_html": body_html, "language": language, "visibility": visibility}
    )
    if state not in ArticleState.values:
        raise ValidationFailed(_("Unknown state."), fields={"state": _("Unknown state.")})
    group = translation_of.translation_group if translation_of else uuid.uuid4()
    if translation_of is not None:
        _check_translation(group, fields["language"])
    article = Article(
        **fields,
        body_text=plain_text(fields["body_html"]),
        category=category if category is not None else getattr(translation_of, "category", None),
        owner=owner if owner is not None else (actor if getattr(actor, "pk", None) else None),
        review_by=review_by,
        translation_group=group,
        problem=problem,
        state=state,
        published_at=timezone.now() if state == ArticleState.PUBLISHED else None,
    )
    article.full_clean(exclude=["translation_group"])
    article.save()
    _snapshot_version(article, actor=actor, note=_("Article created"))
    indexing.index_articles([article])
    audit_record(
        actor=actor,
        action="knowledge.article_created",
        obj=article,
        changes=diff({}, snapshot(article, AUDITED)),
    )
    return article


@transaction.atomic
def article_update(
    *,
    actor,
    article: Article,
    expected_version: int,
    changes: Mapping[str, Any],
    note: str = "",
) -> Article:
    """Change an article; content changes add a revision; stale edits get Conflict (409)."""
    if actor is not None:
        require_perm(actor, access.CHANGE)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed here."),
            fields={k: _("Not editable.") for k in unknown},
        )
    cleaned = _clean_fields(changes)
    if "language" in cleaned and cleaned["language"] != article.language:
        _check_translation(article.translation_group, cleaned["language"], exclude_pk=article.pk)
    if "body_html" in cleaned:
        cleaned["body_text"] = plain_text(cleaned["body_html"])
    before = snapshot(article, AUDITED)
    content_before = snapshot(article, ("title", "body_html", "language", "visibility", "category"))
    article = update_versioned(article, expected_version=expected_version, changes=cleaned)
    content_after = snapshot(article, ("title", "body_html", "language", "visibility", "category"))
    if content_after != content_before:
        _snapshot_version(article, actor=actor, note=note)
    indexing.index_articles([article])
    audit_record(
        actor=actor,
        action="knowledge.article_updated",
        obj=article,
        changes=diff(before, snapshot(article, AUDITED)),
    )
    return article


@transaction.atomic
def article_transition(*, actor, article: Article, to_state: str, expected_version: int) -> Article:
    """Move an article through draft → review → published (→ archived); publishing needs the
    publish permission."""
    needed = TRANSITIONS.get((article.state, to_state))
    if needed is None:
        raise ValidationFailed(
            _("An article cannot go from %(from)s to %(to)s.")
            % {"from": article.state, "to": to_state},
            fields={"state": _("Not allowed from the current state.")},
        )
    if actor is not None:
        require_perm(actor, needed)
    before = article.state
    changes: dict[str, Any] = {"state": to_state}
    if to_state == ArticleState.PUBLISHED:
        changes["published_at"] = timezone.now()
    article = update_versioned(article, expected_version=expected_version, changes=changes)
    indexing.index_articles([article])
    audit_record(
        actor=actor,
        action=f"knowledge.article_{to_state}",
        obj=article,
        changes={"state": [before, to_state]},
    )
    return article


def article_publish(*, actor, article: Article, expected_version: int) -> Article:
    return article_transition(
        actor=actor,
        article=article,
        to_state=ArticleState.PUBLISHED,
        expected_version=expected_version,
    )


@transaction.atomic
def article_restore(*, actor, article: Article, number: int, expected_version: int) -> Article:
    """Make revision `number`'s content current again, as a new revision (history is kept)."""
    version = ArticleVersion.objects.filter(article=article, number=number).first()
    if version is None:
        raise ValidationFailed(_("No such revision."), fields={"number": _("No such revision.")})
    category = Category.objects.filter(pk=version.category_id_snapshot).first()
    return article_update(
        actor=actor,
        article=article,
        expected_version=expected_version,
        changes={
            "title": version.title,
            "body_html": version.body_html,
            "language": version.language,
            "visibility": version.visibility,
            "category": category,
        },
        note=_("Restored revision %(number)s") % {"number": number},
    )


@transaction.atomic
def article_delete(*, actor, article: Article) -> None:
    if actor is not None:
        require_perm(actor, access.DELETE)
    indexing.unindex_article(article)
    audit_record(actor=actor, action="knowledge.article_deleted", obj=article)
    article.delete()


@dataclass
class Upload:
    """A file handed to `attachment_add` (views and the API build it from the request)."""

    name: str
    content_type: str
    data: bytes


@transaction.atomic
def attachment_add(*, actor, article: Article, upload: Upload) -> ArticleAttachment:
    """Attach an image (PNG, JPEG, GIF, WebP) or a PDF/text file of at most 5 MB."""
    if actor is not None:
        require_perm(actor, access.CHANGE)
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if len(upload.data) == 0:
        raise ValidationFailed(_("The file is empty."), fields={"file": _("The file is empty.")})
    if len(upload.data) > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed(
            _("The file is larger than 5 MB."), fields={"file": _("At most 5 MB.")}
        )
    magic = IMAGE_TYPES.get(content_type, FILE_TYPES.get(content_type))
    if magic is None:
        raise ValidationFailed(
            _("This file type is not allowed."),
            fields={"file": _("Use PNG, JPEG, GIF, WebP, PDF or plain text.")},
        )
    if not upload.data.startswith(magic):
        raise ValidationFailed(
            _("The file's content does not match its type."),
            fields={"file": _("The content does not match the type.")},
        )
    attachment = ArticleAttachment(
        article=article,
        filename=(upload.name or "file").rsplit("/", 1)[-1][:255],
        content_type=content_type,
        size=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(),
        is_image=content_type in IMAGE_TYPES,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    attachment.file.save("upload", ContentFile(upload.data), save=False)
    attachment.save()
    audit_record(
        actor=actor,
        action="knowledge.attachment_added",
        obj=article,
        changes={"attachment": [None, attachment.filename]},
    )
    return attachment


@transaction.atomic
def attachment_remove(*, actor, attachment: ArticleAttachment) -> None:
    if actor is not None:
        require_perm(actor, access.CHANGE)
    audit_record(
        actor=actor,
        action="knowledge.attachment_removed",
        obj=attachment.article,
        changes={"attachment": [attachment.filename, None]},
    )
    attachment.file.delete(save=False)
    attachment.delete()
