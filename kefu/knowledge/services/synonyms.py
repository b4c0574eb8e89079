"""Synonym groups (searched as one word) and the re-indexing they need."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kefu.core.audit import audit_record
from kefu.core.errors import ValidationFailed
from kefu.core.permissions import require_perm
from kefu.knowledge import indexing, text
from kefu.knowledge.models import (
    Article,
    Synonym,
    split_words,
)


@transaction.atomic
def synonym_save(*, actor, words: str, synonym: Synonym | None = None) -> Synonym:
    """Create or change a synonym group; articles containing its Chinese words are re-indexed
    so the tokenizer's new whole words are found."""
    if actor is not None:
        require_perm(
            actor, "knowledge.add_synonym" if synonym is None else "knowledge.change_synonym"
        )
    word_list = split_words(words)
    if len(word_list) < 2:
        raise ValidationFailed(
            _("A synonym group needs at least two words."),
            fields={"words": _("Enter two or more words separated by commas.")},
        )
    if any(len(w) > text.MAX_TERM_LENGTH for w in word_list):
        raise ValidationFailed(
            _("A word is too long."), fields={"words": _("At most 40 characters per word.")}
        )
    before = synonym.words if synonym else ""
    if synonym is None:
        synonym = Synonym.objects.create(words=", ".join(word_list))
    else:
        synonym.words = ", ".join(word_list)
        synonym.save(update_fields=["words"])
    text.add_words(word_list)
    _reindex_containing(word_list)
    audit_record(
        actor=actor,
        action="knowledge.synonym_saved",
        obj=synonym,
        changes={"words": [before, synonym.words]},
    )
    return synonym


def _reindex_containing(words: list[str]) -> None:
    cjk = [w for w in words if not w.isascii()]
    if not cjk:
        return
    match = Q()
    for word in cjk:
        match |= Q(title__contains=word) | Q(body_text__contains=word)
    indexing.index_articles(list(Article.objects.filter(match)))


@transaction.atomic
def synonym_delete(*, actor, synonym: Synonym) -> None:
    if actor is not None:
        require_perm(actor, "knowledge.delete_synonym")
    audit_record(
        actor=actor,
        action="knowledge.synonym_deleted",
        obj=synonym,
        changes={"words": [synonym.words, None]},
    )
    synonym.delete()
